// What the lessons show is part of their API: a program that reads a run record reads its outputs.
@_exported import LessonOutput
