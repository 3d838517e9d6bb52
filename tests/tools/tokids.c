/* tokids — print the token ids of each record's text (bench helper, not a
 * test): the PyTorch side of bench/embed.sh embeds exactly these ids.
 *   tokids DIR [max_length] < records.ndjson > ids.ndjson   ({"ids":[...]}) */
#include "base/cli.h"
#include "base/ndjson.h"
#include "nn/tokenizer.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	cli_init("tokids", "usage: tokids DIR [max_length] < records.ndjson\n");
	if (argc < 2)
		cli_usage_error(NULL);
	int max_len = argc > 2 ? (int)cli_long("max_length", argv[2], 2, 1 << 20) : 512;
	char err[512];
	tokenizer *t = tokenizer_load_dir(argv[1], err, sizeof err);
	if (!t)
		cli_die("%s", err);
	ndjson_reader *r = ndjson_open(NULL, 0, 0);
	int *ids = xmalloc((size_t)max_len * sizeof *ids);
	jv rec, s;
	while (ndjson_next(r, &rec)) {
		if (ndjson_get_string(r, rec, "text", &s)) {
			int n = tokenizer_encode(t, jv_string_value(s),
			                         (size_t)jv_string_length_bytes(jv_copy(s)), ids, max_len, NULL);
			jv a = jv_array();
			for (int i = 0; i < n; i++)
				a = jv_array_append(a, jv_number(ids[i]));
			ndjson_write(jv_object_set(jv_object(), jv_string("ids"), a));
			jv_free(s);
		}
		jv_free(rec);
	}
	ndjson_close(r);
	ndjson_finish();
	free(ids);
	tokenizer_free(t);
	return 0;
}
