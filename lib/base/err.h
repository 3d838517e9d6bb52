/* err.h — library error reporting: functions that can fail take a caller's
 * buffer (char *err, size_t errlen) and fill it with a message such as
 * "model.safetensors: truncated header"; programs print it as "prog: ...". */
#ifndef GCSE_ERR_H
#define GCSE_ERR_H
#include <stddef.h>

/* printf into err (errlen bytes, always NUL-terminated); a NULL err or a zero
 * errlen is allowed and ignored. */
void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
