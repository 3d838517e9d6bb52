/* candcheck — run kgsynth --llm's candidate checks (llm_check_text,
 * lib/llm/llmanswer.h) on every candidate of kgsynth's output: the bench
 * helper that calibrates them on the rules' own candidates (bench/
 * llm-measurements.md). Prints each refused candidate on stderr and the
 * counts per reason on stdout; exit 0 when none was refused.
 *   kgsynth -n 3 in.ndjson | candcheck */
#include "base/cli.h"
#include "base/ndjson.h"
#include "llm/llmanswer.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	cli_init("candcheck", "usage: candcheck [file ...] < kgsynth output\n");
	ndjson_reader *r = ndjson_open(argv + 1, argc - 1, 0);
	long n = 0, by[LLM_R_N] = {0};
	jv rec, text;
	while (ndjson_next(r, &rec)) {
		if (!ndjson_get_string(r, rec, "text", &text)) {
			jv_free(rec);
			continue;
		}
		char *anchor = llm_one_line(jv_string_value(text));
		jv cands = jv_object_get(jv_copy(rec), jv_string("candidates"));
		int nc = jv_get_kind(cands) == JV_KIND_ARRAY ? jv_array_length(jv_copy(cands)) : 0;
		for (int i = 0; i < nc; i++) {
			jv c = jv_array_get(jv_copy(cands), i);
			jv t = jv_object_get(jv_copy(c), jv_string("text"));
			if (jv_get_kind(t) == JV_KIND_STRING) {
				char err[300];
				jv a = jv_object_set(jv_object(), jv_string("text"), jv_copy(t));
				int why = llm_check_text(a, anchor, err, sizeof err);
				by[why]++;
				n++;
				if (why)
					cli_msg("%s -> %s: %s", anchor, jv_string_value(t), err);
				jv_free(a);
			}
			jv_free(t);
			jv_free(c);
		}
		jv_free(cands);
		free(anchor);
		jv_free(text);
		jv_free(rec);
	}
	ndjson_close(r);
	printf("%ld candidates, %ld passed", n, by[LLM_R_OK]);
	for (int k = 1; k < LLM_R_N; k++)
		if (by[k])
			printf(", %ld %s", by[k], llm_reason_name(k));
	printf("\n");
	return n - by[LLM_R_OK] ? EXIT_DATA : EXIT_OK;
}
