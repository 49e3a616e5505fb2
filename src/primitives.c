/*
 * The one external definition of every inline primitive: with
 * SATOMIC_API_INLINE empty, the header's gnu_inline bodies become ordinary
 * exported functions here, and only here.
 */
#define SATOMIC_API_INLINE
#include "sharedatomic/primitives.h"
