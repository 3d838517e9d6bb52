/* llmrun.c — the input pass of kgextract and kgsynth (llmrun.h). */
#include "llm/llmrun.h"

void llm_run_records(char **files, int nfiles, const cli_opts *co, llm_client *cl, llm_take_fn take,
                     void *ctx)
{
	ndjson_reader *r = ndjson_open(files, nfiles, co->skip_bad);
	progress pg;
	progress_init(&pg, co->progress, "records");
	long n = 0;
	int fatal = 0;
	jv rec;
	while (!fatal && ndjson_next(r, &rec)) {
		int rc = take(ctx, r, rec);
		if (rc == LLM_TAKE_BAD)
			continue;
		fatal = rc == LLM_TAKE_FATAL;
		progress_tick(&pg, ++n);
	}
	if (cl && !fatal)
		fatal = llm_drain(cl) < 0;
	progress_done(&pg);
	ndjson_finish();
	if (cl)
		llm_finish(cl, fatal);
	ndjson_close(r);
}
