/* err.h — library error reporting: functions that can fail take a caller's
 * buffer (char *err, size_t errlen) and fill it with a message such as
 * "model.safetensors: truncated header"; programs print it as "prog: ...".
 * One return convention across lib/: an int-returning function that can fail
 * returns 0 on success and -1 on failure (a pointer-returning one, NULL);
 * counts and indices are >= 0 with -1 for failure or "none"; predicates
 * ("is it ...?") return 1 or 0 and say so. */
#ifndef GCSE_ERR_H
#define GCSE_ERR_H
#include <stddef.h>

/* printf into err (errlen bytes, always NUL-terminated); a NULL err or a zero
 * errlen is allowed and ignored. */
void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
