// The registry: unique ids, defaults that satisfy their own types, and the catalog authors read.
import Testing
@testable import Lessons

@Suite struct StepRegistryTests {
    @Test func idsAreUniqueAndDefaultsAreWellTyped() {
        let definitions = StepRegistry.standard.definitions
        #expect(Set(definitions.map(\.id)).count == definitions.count)
        for definition in definitions {
            for parameter in definition.parameters {
                guard let value = parameter.defaultValue, !value.isEmpty else { continue }
                #expect(StepContext.typeProblem(value, parameter.type) == nil, "\(definition.id).\(parameter.name)")
            }
        }
    }

    @Test func catalogListsEveryStepWithParameterTypesAndDefaults() {
        let catalog = LessonFolder.catalog()
        for definition in StepRegistry.standard.definitions { #expect(catalog.contains(definition.id + "\n")) }
        #expect(catalog.contains("steps: integer 1...100000 (default 400)"))
        #expect(catalog.contains("expr: expression (required)"))
    }

    @Test func typeProblemsSayWhatIsWrong() {
        #expect(StepContext.typeProblem("abc", .number) == "must be a number, not 'abc'")
        #expect(StepContext.typeProblem("9", .integer(1...5)) == "is 9, outside 1...5")
        #expect(StepContext.typeProblem("ture", .flag) != nil)
        #expect(StepContext.typeProblem("al", .choice(["all", "one"]))?.contains("did you mean 'all'") == true)
    }
}
