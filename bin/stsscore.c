/* stsscore — score STS records: cosine of two embeddings (or a given
 * similarity) against the gold score; Spearman and Pearson x100 per task. */
#include "cli.h"
#include "ndjson.h"
#include "stats.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
"usage: stsscore [options] [file ...]\n"
"\n"
"Read STS records {\"sentence1\",\"sentence2\",\"score\",\"task\"?} as NDJSON (files,\n"
"gzip files, or standard input when none or '-') that carry the two sentence\n"
"embeddings, or a precomputed similarity; print one summary record per task\n"
"{\"task\",\"n\",\"spearman\",\"pearson\"} (x100, in first-seen order) and then\n"
"{\"task\":\"avg\",...}: the plain mean over tasks (SimCSE's table convention).\n"
"Records without a task field belong to the task \"all\".\n"
"\n"
"options:\n"
"  -1, --emb1 FIELD      first embedding field (default sentence1_embedding)\n"
"  -2, --emb2 FIELD      second embedding field (default sentence2_embedding)\n"
"  -s, --sim FIELD       use this precomputed similarity field instead of\n"
"                        embeddings\n"
"      --score FIELD     gold score field (default score)\n"
"      --task FIELD      task field (default task)\n"
"  -p, --pairs           pass every record through with the similarity added\n"
"                        as \"cosine\" instead of printing the summary\n"
"      --skip-bad        skip bad lines (counted on stderr) instead of failing\n"
"  -q, --quiet           no progress line\n"
"      --progress        progress line on stderr even when it is not a terminal\n"
"  -h, --help            this help\n"
"  -V, --version         version\n"
"\n"
"Exit status: 0 ok, 1 bad input or runtime error, 2 usage error.\n";

typedef struct task {
	char *name;
	double *pred, *gold;
	size_t n, cap;
} task;

static task *tasks;
static int ntasks;

static task *find_task(const char *name)
{
	for (int i = 0; i < ntasks; i++)
		if (!strcmp(tasks[i].name, name))
			return &tasks[i];
	tasks = xrealloc(tasks, (size_t)(ntasks + 1) * sizeof *tasks);
	task *t = &tasks[ntasks++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	return t;
}

static void add(task *t, double pred, double gold)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->pred = xrealloc(t->pred, t->cap * sizeof *t->pred);
		t->gold = xrealloc(t->gold, t->cap * sizeof *t->gold);
	}
	t->pred[t->n] = pred;
	t->gold[t->n] = gold;
	t->n++;
}

static jv num_or_null(double x)
{
	return isfinite(x) ? jv_number(x) : jv_null();
}

int main(int argc, char **argv)
{
	const char *emb1 = "sentence1_embedding", *emb2 = "sentence2_embedding";
	const char *simf = NULL, *scoref = "score", *taskf = "task";
	int pairs = 0, skip_bad = 0, prog_mode = 0;
	enum { O_SCORE = 256, O_TASK, O_SKIP, O_PROGRESS };
	static const struct option opts[] = {
		{"emb1", required_argument, 0, '1'},
		{"emb2", required_argument, 0, '2'},
		{"sim", required_argument, 0, 's'},
		{"score", required_argument, 0, O_SCORE},
		{"task", required_argument, 0, O_TASK},
		{"pairs", no_argument, 0, 'p'},
		{"skip-bad", no_argument, 0, O_SKIP},
		{"quiet", no_argument, 0, 'q'},
		{"progress", no_argument, 0, O_PROGRESS},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	cli_init("stsscore", help);
	int c;
	while ((c = getopt_long(argc, argv, "1:2:s:pqhV", opts, NULL)) != -1) {
		switch (c) {
		case '1': emb1 = optarg; break;
		case '2': emb2 = optarg; break;
		case 's': simf = optarg; break;
		case O_SCORE: scoref = optarg; break;
		case O_TASK: taskf = optarg; break;
		case 'p': pairs = 1; break;
		case O_SKIP: skip_bad = 1; break;
		case 'q': prog_mode = -1; break;
		case O_PROGRESS: prog_mode = 1; break;
		case 'h': cli_help();
		case 'V': cli_version();
		default: cli_usage_error(NULL);
		}
	}
	ndjson_reader *r = ndjson_open(argv + optind, argc - optind, skip_bad);
	progress pg;
	progress_init(&pg, prog_mode, "records");
	long nrec = 0;
	jv rec;
	while (ndjson_next(r, &rec)) {
		double gold = 0, sim;
		if (!pairs && !ndjson_get_number(r, rec, scoref, &gold))
			goto next;
		if (simf) {
			if (!ndjson_get_number(r, rec, simf, &sim))
				goto next;
		} else {
			float *a = NULL, *b = NULL;
			int da = 0;
			if (!ndjson_get_vector(r, rec, emb1, &a, &da))
				goto next;
			if (!ndjson_get_vector(r, rec, emb2, &b, &da)) {
				free(a);
				goto next;
			}
			sim = cosine_sim(a, b, da);
			free(a);
			free(b);
		}
		if (pairs) {
			ndjson_write(jv_object_set(rec, jv_string("cosine"), jv_number(sim)));
			progress_tick(&pg, ++nrec);
			continue;
		}
		jv t;
		int k = ndjson_opt_string(r, rec, taskf, &t);
		if (k < 0)
			goto next;
		add(find_task(k ? jv_string_value(t) : "all"), sim, gold);
		if (k)
			jv_free(t);
		progress_tick(&pg, ++nrec);
	next:
		jv_free(rec);
	}
	progress_done(&pg);
	ndjson_close(r);
	if (!pairs) {
		double ssum = 0, psum = 0;
		size_t ntot = 0;
		int bad = 0;
		for (int i = 0; i < ntasks; i++) {
			task *t = &tasks[i];
			double s = 100 * spearman(t->pred, t->gold, t->n);
			double p = 100 * pearson(t->pred, t->gold, t->n);
			if (!isfinite(s) || !isfinite(p)) {
				cli_msg("task \"%s\": correlation undefined (%zu pairs, or constant scores)",
				        t->name, t->n);
				bad = 1;
			}
			ssum += s;
			psum += p;
			ntot += t->n;
			jv o = jv_object();
			o = jv_object_set(o, jv_string("task"), jv_string(t->name));
			o = jv_object_set(o, jv_string("n"), jv_number((double)t->n));
			o = jv_object_set(o, jv_string("spearman"), num_or_null(s));
			o = jv_object_set(o, jv_string("pearson"), num_or_null(p));
			ndjson_write(o);
		}
		if (ntasks == 0)
			cli_die("no records to score");
		jv o = jv_object();
		o = jv_object_set(o, jv_string("task"), jv_string("avg"));
		o = jv_object_set(o, jv_string("n"), jv_number((double)ntot));
		o = jv_object_set(o, jv_string("spearman"), num_or_null(ssum / ntasks));
		o = jv_object_set(o, jv_string("pearson"), num_or_null(psum / ntasks));
		ndjson_write(o);
		if (bad) {
			ndjson_finish();
			return EXIT_DATA;
		}
	}
	ndjson_finish();
	for (int i = 0; i < ntasks; i++) {
		free(tasks[i].name);
		free(tasks[i].pred);
		free(tasks[i].gold);
	}
	free(tasks);
	return EXIT_OK;
}
