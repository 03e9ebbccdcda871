// Where a tape's numbers stop being numbers: the first value or gradient that is NaN or
// infinite, and why, in words a learner can act on ("log(a) is NaN: log of -1 is undefined").
import Autograd
import LessonOutput

extension TapeView {
    /// A failed self-check naming the first number of the view that is not finite, or nil when
    /// every one is. Values come first, in recording order: a NaN starts at one node and spreads
    /// to the nodes that read it. Then, with `grads`, gradients newest first, the order backward
    /// fills them in.
    func nonFiniteCheck(grads: Bool) -> Verification? {
        let found: (value: Double, message: String)
        if let id = nodes.first(where: { !tape.data($0).isFinite }) {
            let subject = tape.op(id) == .input ? name(id) : formula(id)
            found = (tape.data(id), "\(subject) is \(NumberFormat.full(tape.data(id))): \(whyValue(id))")
        } else if grads, let id = nodes.reversed().first(where: { !tape.grad($0).isFinite }) {
            found = (tape.grad(id), "the gradient of \(name(id)) is \(NumberFormat.full(tape.grad(id))): \(whyGradient(id))")
        } else {
            return nil
        }
        return Verification(name: "finite", expected: grads ? "every data and grad finite" : "every data finite",
                            actual: .number(found.value), passed: false, message: found.message,
                            hint: "NaN and infinity spread to every node computed from them; "
                                + "choose inputs where every operation has a finite answer")
    }

    /// Why node `id`, whose inputs are all finite, computed a value that is not.
    private func whyValue(_ id: NodeID) -> String {
        let inputs = tape.inputs(of: id)
        let x = inputs.map { tape.data($0) }
        let c = tape.constant(id)
        switch tape.op(id) {
        case .input:
            return "the number is too large for a Double"
        case .log where x[0] < 0:
            return "log of \(NumberFormat.full(x[0])) is undefined (log needs a positive number)"
        case .log where x[0] == 0:
            return "log of 0 is minus infinity"
        case .sqrt where x[0] < 0:
            return "sqrt of \(NumberFormat.full(x[0])) is undefined (sqrt needs a number that is not negative)"
        case .div where x[1] == 0:
            return x[0] == 0 ? "0 / 0 is undefined" : "division by zero (\(name(inputs[1])) is 0)"
        case .pow where x[0] < 0:
            return "\(NumberFormat.full(x[0]))^\(NumberFormat.full(c)) is undefined (a negative number has no real fractional power)"
        case .pow where x[0] == 0:
            return "0 to the negative power \(NumberFormat.full(c)) is infinite"
        case .addConstant where !c.isFinite, .mulConstant where !c.isFinite:
            return "its constant is \(NumberFormat.full(c))"
        default:
            return "the result is larger than the largest Double (about 1.8e308)"
        }
    }

    /// Why node `id` got a gradient that is not finite while every node that reads it has a
    /// finite one: the derivative of a reader with respect to it is not finite there.
    private func whyGradient(_ id: NodeID) -> String {
        let readers = nodes.filter { $0 > id && tape.inputs(of: $0).contains(id) }.map(formula)
        let at = "at \(name(id)) = \(NumberFormat.full(tape.data(id)))"
        switch readers.count {
        case 0: return "it is not finite \(at)"
        case 1: return "the derivative of \(readers[0]) with respect to \(name(id)) \(at) is not a finite number"
        default: return "a derivative of \(readers.joined(separator: ", ")) with respect to \(name(id)) \(at) is not a finite number"
        }
    }
}
