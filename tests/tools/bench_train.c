/* bench_train — time whole training steps (forward + backward + Adam update)
 * of the SimCSE loss on a random BERT, for bench/train_step.sh.
 *
 *   bench_train [-L layers] [-C hidden] [-H heads] [-F ffn] [-V vocab]
 *               [-B sentences] [-T tokens] [-n steps] [-j threads]
 *
 * Each step: B random sentences of T tokens ([CLS] ... [SEP], all real),
 * both dropout views in one batch of 2B rows, dropout 0.1, the MLP head, the
 * SimCSE loss, backward, gradient clipping at 1, Adam. One warm-up step,
 * then n timed ones. Prints one JSON line: the shape, the seconds of every
 * timed step, the median, the time of the phases of the last step, and the
 * parameter and activation sizes. */
#include "base/cli.h"
#include "train/loss.h"
#include "nn/model.h"
#include "train/optim.h"
#include "base/rng.h"
#include "train/train.h"

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
	int rows = 2 * B;
	trainer *t = trainer_new(m, rows, T, 2, err, sizeof err);
	if (!t)
		cli_die("%s", err);
	adam opt;
	loss_ws lw;
	if (adam_init(&opt, t->nparams) || loss_ws_init(&lw, B, C))
		cli_die("out of memory");
	loss_config lc = loss_config_default(LOSS_SIMCSE);
	int *ids = xmalloc((size_t)rows * T * sizeof *ids), *mask = xmalloc((size_t)rows * T * sizeof *mask);
	float *dh = xmalloc((size_t)rows * C * sizeof *dh);
	double *secs = xmalloc((size_t)n * sizeof *secs), *cpu = xmalloc((size_t)n * sizeof *cpu);
	double ph[5] = {0};
	rng r;
	rng_seed(&r, 3);
	for (int s = 0; s <= n; s++) {
		for (int b = 0; b < B; b++)
			for (int i = 0; i < T; i++) {
				int v = i == 0 ? 101 % V : i == T - 1 ? 102 % V : 999 + (int)rng_below(&r, (uint64_t)(V - 999));
				ids[b * T + i] = ids[(B + b) * T + i] = v;
				mask[b * T + i] = mask[(B + b) * T + i] = 1;
			}
		double c0 = cpu_seconds(), t0 = now_seconds();
		trainer_zero_grad(t);
		double t1 = now_seconds();
		if (train_forward(t, ids, mask, rows, T, 1, rng_derive(7, (uint64_t)s), err, sizeof err))
			cli_die("%s", err);
		double t2 = now_seconds();
		double loss = loss_forward(&lw, &lc, t->h, t->h + (size_t)B * C, NULL, NULL, B);
		memset(dh, 0, (size_t)rows * C * sizeof *dh);
		loss_backward(&lw, dh, dh + (size_t)B * C, NULL, 1.0f);
		train_backward(t, dh);
		double t3 = now_seconds();
		grad_clip_norm(t->grads, t->nparams, 1.0);
		adam_step(&opt, t->params, t->grads, 1e-5);
		double t4 = now_seconds();
		if (s > 0) {
			secs[s - 1] = t4 - t0;
			cpu[s - 1] = cpu_seconds() - c0;
			ph[0] = t1 - t0, ph[1] = t2 - t1, ph[2] = t3 - t2, ph[3] = t4 - t3, ph[4] = loss;
		}
	}
	printf("{\"layers\":%d,\"hidden\":%d,\"heads\":%d,\"ffn\":%d,\"vocab\":%d,\"sentences\":%d,"
	       "\"tokens\":%d,\"steps\":[", L, C, NH, FF, V, B, T);
	for (int s = 0; s < n; s++)
		printf("%s%.4f", s ? "," : "", secs[s]);
	qsort(secs, (size_t)n, sizeof *secs, cmp_double);
	qsort(cpu, (size_t)n, sizeof *cpu, cmp_double);
	printf("],\"median_s\":%.4f,\"median_cpu_s\":%.4f,\"zero_s\":%.4f,\"forward_s\":%.4f,\"backward_s\":%.4f,"
	       "\"update_s\":%.4f,\"loss\":%.6g,\"params\":%zu,\"activation_bytes\":%zu}\n",
	       secs[n / 2], cpu[n / 2], ph[0], ph[1], ph[2], ph[3], ph[4], t->nparams, trainer_act_bytes(t));
	free(ids); free(mask); free(dh); free(secs); free(cpu);
	adam_free(&opt);
	loss_ws_free(&lw);
	trainer_free(t);
	model_free(m);
	return 0;
}
