/* dropout.h — inverted dropout with a stored bit mask (llm.c style pair).
 *
 * out = inp * keep / (1 - p), keep ~ Bernoulli(1 - p) per element.
 * The mask is a pure function of (key, element index) through the
 * counter-based generator of rng.h, so it is the same for any OpenMP thread
 * count and can be regenerated from the key alone; it is also stored, one
 * bit per element, so backward needs neither the key nor the input.
 *
 * Mask layout: bit (i % 8) of byte i / 8 is 1 when element i is kept
 * (dropout_mask_bytes(n) bytes). Element i is dropped iff the 32-bit value
 * (i even: low half, i odd: high half of rng_at(key, i / 2)) is below
 * round(p * 2^32); so the drop rate is p to within 2^-32.
 *
 * p = 0 is an exact copy (mask, if given, all ones); p = 1 gives zeros.
 * p outside [0, 1] is treated as the nearest end. */
#ifndef GCSE_DROPOUT_H
#define GCSE_DROPOUT_H
#include <stddef.h>
#include <stdint.h>

size_t dropout_mask_bytes(size_t n);

/* inp, out are (n,), any shape flattened; out may equal inp (in place).
 * mask is (dropout_mask_bytes(n),), written; may be NULL only when p == 0. */
void dropout_forward(float *out, uint8_t *mask, const float *inp, size_t n,
                     float p, uint64_t key);
/* dout, dinp are (n,); dinp += dout * keep / (1 - p) (accumulates, as every
 * backward here). dinp must not alias dout. mask is the one forward wrote;
 * with p == 0 it is not read and may be NULL. */
void dropout_backward(float *dinp, const float *dout, const uint8_t *mask,
                      size_t n, float p);

/* Naive serial reference of dropout_forward (same mask, same output). */
void dropout_forward_ref(float *out, uint8_t *mask, const float *inp, size_t n,
                         float p, uint64_t key);
/* Whether element i is kept (the rule above), for tests and references. */
int dropout_keep(uint64_t key, size_t i, float p);
#endif
