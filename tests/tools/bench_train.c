/* bench_train — time whole training steps (forward + backward + Adam update)
 * of the SimCSE loss on a random BERT, for bench/train_step.sh: the step
 * gcsetrain runs (train_loop_step, lib/train/trainloop.h).
 *
 *   bench_train [-L layers] [-C hidden] [-H heads] [-F ffn] [-V vocab]
 *               [-B sentences] [-T tokens] [-n steps] [-j threads]
 *
 * Each step: B random sentences of T tokens ([CLS] ... [SEP], all real),
 * both dropout views in one batch of 2B rows, dropout 0.1, the MLP head, the
 * SimCSE loss, backward, gradient clipping at 1, Adam. One warm-up step,
 * then n timed ones. Prints one JSON line: the shape, the seconds of every
 * timed step, the median, the time of the phases of the last step (zero_s:
 * batch assembly and zeroing the gradients; backward_s: the loss and the
 * backward pass), and the parameter and activation sizes. */
#include "base/cli.h"
#include "train/loss.h"
#include "nn/model.h"
#include "train/optim.h"
#include "base/rng.h"
#include "train/train.h"
#include "train/trainloop.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	cli_init("bench_train", "usage: bench_train [-L layers] [-C hidden] [-H heads] [-F ffn] "
	         "[-V vocab] [-B sentences] [-T tokens] [-n steps] [-j threads]\n");
	int L = 6, C = 384, NH = 12, FF = 1536, V = 30522, B = 64, T = 32, n = 3, c;
	while ((c = getopt(argc, argv, "L:C:H:F:V:B:T:n:j:h")) != -1) {
		switch (c) {
		case 'L': L = (int)cli_long("-L", optarg, 1, 64); break;
		case 'C': C = (int)cli_long("-C", optarg, 1, 8192); break;
		case 'H': NH = (int)cli_long("-H", optarg, 1, 256); break;
		case 'F': FF = (int)cli_long("-F", optarg, 1, 65536); break;
		case 'V': V = (int)cli_long("-V", optarg, 8, 1 << 22); break;
		case 'B': B = (int)cli_long("-B", optarg, 1, 8192); break;
		case 'T': T = (int)cli_long("-T", optarg, 3, 512); break;
		case 'n': n = (int)cli_long("-n", optarg, 1, 1000); break;
		case 'j': cli_threads(optarg); break;
		case 'h': cli_help();
		default: cli_usage_error(NULL);
		}
	}
	bert_config cfg;
	bert_config_defaults(&cfg);
	cfg.vocab_size = V;
	cfg.hidden_size = C;
	cfg.num_hidden_layers = L;
	cfg.num_attention_heads = NH;
	cfg.intermediate_size = FF;
	cfg.max_position_embeddings = T > 512 ? T : 512;
	char err[512];
	bert_model *m = model_init_random(&cfg, 1, err, sizeof err);
	if (!m)
		cli_die("%s", err);
	/* B sentences per step, the warm-up step's and the n timed ones' */
	size_t ns = (size_t)B * (size_t)(n + 1);
	int *ids = xmalloc(ns * (size_t)T * sizeof *ids);
	rng r;
	rng_seed(&r, 3);
	for (size_t b = 0; b < ns; b++)
		for (int i = 0; i < T; i++)
			ids[b * (size_t)T + (size_t)i] = i == 0 ? 101 % V : i == T - 1 ? 102 % V
			                                 : 999 + (int)rng_below(&r, (uint64_t)(V - 999));
	train_data d;
	if (train_data_from_rows(&d, 1, ns, ids, NULL, T, NULL, err, sizeof err))
		cli_die("%s", err);
	int64_t *idx = xmalloc(ns * sizeof *idx);
	for (size_t i = 0; i < ns; i++)
		idx[i] = (int64_t)i;
	train_loop_config lc = {.loss = loss_config_default(LOSS_SIMCSE), .clip = 1.0, .seed = 7,
	                        .max_batch = B, .max_len = T, .pad_id = 0, .head_seed = 2};
	train_loop tl;
	if (train_loop_init(&tl, m, &lc, err, sizeof err))
		cli_die("%s", err);
	double *secs = xmalloc((size_t)n * sizeof *secs), *cpu = xmalloc((size_t)n * sizeof *cpu);
	train_step_stats st;
	for (int s = 0; s <= n; s++) {
		double c0 = cpu_seconds(), t0 = now_seconds();
		if (train_loop_step(&tl, &d, idx + (size_t)s * B, B, NULL, &r, s, 1e-5, &st, err, sizeof err))
			cli_die("step %d: %s", s + 1, err);
		if (s > 0) {
			secs[s - 1] = now_seconds() - t0;
			cpu[s - 1] = cpu_seconds() - c0;
		}
	}
	trainer *t = tl.t;
	printf("{\"layers\":%d,\"hidden\":%d,\"heads\":%d,\"ffn\":%d,\"vocab\":%d,\"sentences\":%d,"
	       "\"tokens\":%d,\"steps\":[", L, C, NH, FF, V, B, T);
	for (int s = 0; s < n; s++)
		printf("%s%.4f", s ? "," : "", secs[s]);
	qsort(secs, (size_t)n, sizeof *secs, cmp_double);
	qsort(cpu, (size_t)n, sizeof *cpu, cmp_double);
	printf("],\"median_s\":%.4f,\"median_cpu_s\":%.4f,\"zero_s\":%.4f,\"forward_s\":%.4f,\"backward_s\":%.4f,"
	       "\"update_s\":%.4f,\"loss\":%.6g,\"params\":%zu,\"activation_bytes\":%zu}\n",
	       secs[n / 2], cpu[n / 2], st.secs[0], st.secs[1], st.secs[2], st.secs[3], st.loss, t->nparams,
	       trainer_act_bytes(t));
	free(ids); free(idx); free(secs); free(cpu);
	train_data_free(&d);
	train_loop_free(&tl);
	model_free(m);
	return 0;
}
