/* llmrun.h — the input pass kgextract and kgsynth share: every record of
 * the input handed to the program, which writes it at once (its rules) or
 * submits it to the LLM client (llm.h; the answers come back through the
 * client's deliver callback, in input order, llmqueue.h); then the client
 * drained, stdout flushed and the client's counts printed.
 *
 *   static int take(void *ctx, ndjson_reader *r, jv rec) { ... }
 *   llm_run_records(argv + optind, argc - optind, &o.co, cl, take, &state);
 *   // program's own summary on stderr, then its exit status
 */
#ifndef GCSE_LLMRUN_H
#define GCSE_LLMRUN_H

#include "base/cli.h"
#include "base/ndjson.h"
#include "llm/llm.h"

/* What take returns. */
enum {
	LLM_TAKE_OK = 0,     /* written, or submitted (a progress tick) */
	LLM_TAKE_FATAL = 1,  /* llm_submit failed for good: reading stops */
	LLM_TAKE_BAD = -1    /* the record was bad (already reported with
	                      * ndjson_bad; no tick) */
};

/* One input record, owned by take from here on. */
typedef int (*llm_take_fn)(void *ctx, ndjson_reader *r, jv rec);

/* Read the records of files (nfiles names; none means stdin, "-" is stdin)
 * with co's --skip-bad, each handed to take, a progress line per co. With a
 * client cl (NULL: the rules alone), when reading ended without a fatal
 * error the answers still outstanding are drained. stdout is flushed in
 * every case, so what was delivered is written even after a fatal error;
 * then llm_finish prints cl's counts and closes it, ending the process with
 * status 1 when the client failed for good. Last the reader is closed
 * ("skipped N bad lines" on stderr where some were). */
void llm_run_records(char **files, int nfiles, const cli_opts *co, llm_client *cl, llm_take_fn take,
                     void *ctx);

#endif
