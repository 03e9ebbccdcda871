// Trains a small log classifier through the public API and checks that it learned something:
// a value's gradient with Autograd, then a dataset, a recipe, training, and classification with
// GPT. Exits with status 1 if the model is no better than chance.
import Autograd
import Foundation
import GPT

// The engine on its own: d/da of tanh(a * b + 10).
let tape = Tape()
let a = Value(2, on: tape), b = Value(-3, on: tape)
let out = (a * b + 10).tanh()
out.backward()
print("tanh(a*b + 10) = \(out.data), d/da = \(a.grad), d/db = \(b.grad)")

// A synthetic log, generated from a seed, parsed as a dataset file would be.
let text = LogGenerator.text(count: 1500, seed: 7)
let dataset = try LogDataset.parse(text, source: "generated")

// The default model trained briefly: enough to beat guessing, quick enough for CI.
var recipe = TrainingRecipe()
recipe.steps = 3000
let started = Date()
let (trained, report) = try recipe.trainModel(on: dataset, clock: { Date().timeIntervalSince(started) })
print("trained \(report.steps) steps on \(report.trainLines) lines in \(String(format: "%.1f", report.seconds)) s: "
      + "train loss \(String(format: "%.3f", report.trainLoss)), validation loss \(String(format: "%.3f", report.validationLoss))")

// The lines training never saw: the test part of the same seeded split the recipe trained on.
let classifier = LogClassifier(trained)
let test = DatasetSplit(dataset, seed: recipe.seed).test
var right = 0
for example in test where (try? classifier.classify(example.message))?.label == example.label { right += 1 }
let accuracy = Double(right) / Double(test.count)
print("accuracy on the \(test.count) held-out lines: \(String(format: "%.1f", 100 * accuracy))%")
for line in ["user 4411 logged in from 10.0.3.7", "payment-worker crashed on api-07 with exit code 137"] {
    let result = try classifier.classify(line)
    print("\(result.label.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(line)")
}
if accuracy <= 0.5 {
    print("the model is no better than guessing")
    exit(1)
}
