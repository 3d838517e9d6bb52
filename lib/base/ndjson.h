/* ndjson.h — newline-delimited JSON in and out, with libjq's jv values.
 *
 * Reading: file operands or stdin ("-" or none); gzip input is read
 * transparently (zlib). One record per line, parsed on its own, so that an
 * error reads "prog: FILE:LINE: what". Blank lines are ignored; lines of any
 * length work. By default a bad line is fatal (exit 1); with skip_bad it is
 * skipped, counted, and the count is printed by ndjson_close.
 *
 *   ndjson_reader *r = ndjson_open(argv + optind, argc - optind, skip_bad);
 *   jv rec;
 *   while (ndjson_next(r, &rec)) {            // rec: an object, owned by caller
 *       jv text;
 *       if (!ndjson_get_string(r, rec, "text", &text)) { jv_free(rec); continue; }
 *       ...
 *   }
 *   ndjson_close(r);
 *
 * Writing: compact JSON, one record per line, numbers in the shortest text
 * that reads back as the same double; vectors of float32 in the shortest text
 * that reads back as the same float. A number read from the input comes out
 * as it was written there (see ndjson_number). A record is formatted whole before it is
 * written, so a failing program never leaves half a line. EPIPE on stdout
 * exits 0 quietly; any other write error is fatal. */
#ifndef GCSE_NDJSON_H
#define GCSE_NDJSON_H
#include <jv.h>
#include <stddef.h>

typedef struct ndjson_reader ndjson_reader;

ndjson_reader *ndjson_open(char **files, int nfiles, int skip_bad);
/* Next record (a JSON object) into *out; 0 at end of input. Invalid JSON,
 * invalid UTF-8 or a non-object is reported (or skipped with skip_bad). */
int ndjson_next(ndjson_reader *r, jv *out);
/* For a program's output file: the input operand (files as given to
 * ndjson_open; "standard input" for "-" or none) or "standard output" that
 * is the same file as path, or NULL. Writing it would destroy an input. */
const char *ndjson_same_file(char **files, int nfiles, const char *path);
/* Where the last record came from (for messages). */
const char *ndjson_filename(const ndjson_reader *r);
long ndjson_lineno(const ndjson_reader *r);
/* Report a bad record: "prog: FILE:LINE: message". Without skip_bad this
 * exits 1; with it, counts the line as skipped and returns. */
void ndjson_bad(ndjson_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Field getters: on success store the value (caller frees) and return 1; on
 * a missing field or a wrong type call ndjson_bad ("field \"x\": missing",
 * "field \"x\": expected string, got number") and return 0. A string holding
 * U+0000 is refused too (the programs take texts as C strings, which would
 * end there); fields a program does not read keep it. */
int ndjson_get_string(ndjson_reader *r, jv rec, const char *key, jv *out);
int ndjson_get_number(ndjson_reader *r, jv rec, const char *key, double *out);
/* A numeric array of exactly dim entries (dim 0: any length, stored in *dim).
 * *out is malloc'ed float[dim]. */
int ndjson_get_vector(ndjson_reader *r, jv rec, const char *key, float **out, int *dim);
/* Optional field: 1 and *out if present and not null, 0 if absent/null,
 * -1 after ndjson_bad if of the wrong kind. */
int ndjson_opt_string(ndjson_reader *r, jv rec, const char *key, jv *out);
int ndjson_opt_number(ndjson_reader *r, jv rec, const char *key, double *out);
long ndjson_skipped(const ndjson_reader *r);
/* Close; prints "prog: skipped N bad lines" when any were skipped. */
void ndjson_close(ndjson_reader *r);

/* Offset of the first NUL byte of string s, or -1. */
long ndjson_nul_at(jv s);
/* Numbers: a number whose literal fmt_double would not write back the same
 * (beyond 2^53, more than 17 digits, 1e400, 1.0, 1E+2, -0.0) is kept as
 * written: the record holds it as an opaque value, which the writer prints
 * as the literal. Read numbers with ndjson_number (or the getters above),
 * never with jv_number_value on a value from the input: 1 and the double
 * (1e400: inf) if v is a number, 0 if not. */
int ndjson_number(jv v, double *out);
/* Whether fmt_double(strtod(s)) gives back the JSON number s (n bytes). */
int ndjson_number_canonical(const char *s, size_t n);
/* jv kind name for messages ("string", "number", ...). */
const char *ndjson_kind_name(jv v);

/* ---- output ---- */
/* Write one record (consumed) as one line on stdout. */
void ndjson_write(jv rec);
/* Write a record (consumed) with float vectors appended as fields, their
 * arrays formatted beforehand by ndjson_format_floats: keys[i] gets the JSON
 * text texts[i] of lens[i] bytes; an existing field of the same name is
 * replaced. Formatting apart lets a program format many records' vectors in
 * parallel and write them in order. */
void ndjson_write_vector_texts(jv rec, int nvec, const char *const *keys,
                               const char *const *texts, const size_t *lens);
/* "[v0,v1,...]" with fmt_float numbers into buf, which must hold
 * NDJSON_FLOATS_MAX(n) bytes; returns the length (no NUL). Uses no shared
 * state: safe to call from several threads at once. */
#define NDJSON_FLOATS_MAX(n) ((size_t)(n) * 17 + 2)
size_t ndjson_format_floats(char *buf, const float *v, int n);
/* Format into a growing buffer (exposed for tests and other writers). */
typedef struct strbuf { char *s; size_t len, cap; } strbuf;
void sb_putc(strbuf *b, char c);
void sb_puts(strbuf *b, const char *s, size_t n);
void sb_json(strbuf *b, jv v);          /* does not consume v */
void sb_json_string(strbuf *b, const char *s, size_t n);
int fmt_double(char *buf, double x);    /* shortest round-trip; returns length; buf >= 32 */
int fmt_float(char *buf, float x);      /* shortest round-trip as float32 */
/* As ndjson_write, flushed at once, for a program whose records are not its
 * main output (gcsetrain's metrics): a closed standard output (EPIPE) returns
 * -1 instead of ending the process, and standard output then goes to
 * /dev/null; 0 when written. Any other write error is fatal. */
int ndjson_write_flush(jv rec);
/* Flush stdout and check for errors (called at exit by programs). */
void ndjson_finish(void);
#endif
