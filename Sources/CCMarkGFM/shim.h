// The parts of cmark-gfm the lessons use: the core parser and renderer, and the GFM extensions.
#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
