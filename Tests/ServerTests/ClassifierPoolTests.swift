// The pool lends each classifier to one borrower at a time and keeps a bounded number idle.
@testable import Server
import Testing

struct ClassifierPoolTests {
    @Test func nestedBorrowersGetDifferentClassifiers() throws {
        let pool = ClassifierPool(try Fixture.model(), idleLimit: 2)
        pool.withClassifier { first in
            pool.withClassifier { second in
                #expect(first !== second)
                pool.withClassifier { third in
                    #expect(third !== first && third !== second)
                }
            }
        }
        #expect(pool.idleCount == 2, "at most idleLimit classifiers are kept")
        let again = pool.withClassifier { first in pool.withClassifier { second in first !== second } }
        #expect(again)
    }
}
