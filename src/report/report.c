/* Placeholder. */
#include "kb/kb.h"
