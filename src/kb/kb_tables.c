/* Placeholder until the code tables land. */
#include "kb.h"
