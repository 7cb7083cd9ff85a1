/* npy.c -- placeholder until the nn CLI work lands (see npy.h). */
#include "npy.h"
