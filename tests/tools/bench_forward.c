/* bench_forward.c — time the BERT forward pass on a random model (not a test).
 *
 *   bench_forward [-s small|base] [-L layers] [-C hidden] [-H heads] [-F ffn]
 *                 [-b batch] [-t tokens] [-j threads] [-n iterations] [-p pad]
 *
 * Defaults: the small shape (6 layers, 384 hidden, 12 heads, FFN 1536),
 * batch 64 x 32 tokens, 2 threads. Prints sentences/s of the whole forward
 * pass, of bert_encode with [CLS] pooling (whose last layer runs for the
 * [CLS] rows only) and, measured in the same run, of the full forward's four
 * linear-layer GEMMs alone (the floor everything else is compared with). -p P pads the last P tokens
 * of every other sequence. */
#include "nn/bert.h"
#include "nn/layers.h"
#include "base/gemm.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double clk(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}
static double now(void) { return clk(CLOCK_MONOTONIC); }
static double cpu(void) { return clk(CLOCK_PROCESS_CPUTIME_ID); }

int main(int argc, char **argv)
{
	bert_config c;
	bert_config_defaults(&c);
	c.num_hidden_layers = 6;
	c.hidden_size = 384;
	c.num_attention_heads = 12;
	c.intermediate_size = 1536;
	int B = 64, T = 32, threads = 2, iters = 5, pad = 0, opt;
	while ((opt = getopt(argc, argv, "s:L:C:H:F:b:t:j:n:p:")) != -1) {
		switch (opt) {
		case 's':
			if (!strcmp(optarg, "base")) {
				c.num_hidden_layers = 12;
				c.hidden_size = 768;
				c.num_attention_heads = 12;
				c.intermediate_size = 3072;
			}
			break;
		case 'L': c.num_hidden_layers = atoi(optarg); break;
		case 'C': c.hidden_size = atoi(optarg); break;
		case 'H': c.num_attention_heads = atoi(optarg); break;
		case 'F': c.intermediate_size = atoi(optarg); break;
		case 'b': B = atoi(optarg); break;
		case 't': T = atoi(optarg); break;
		case 'j': threads = atoi(optarg); break;
		case 'n': iters = atoi(optarg); break;
		case 'p': pad = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_forward [-s small|base] [-L n] [-C n] [-H n] [-F n] [-b n] [-t n] "
			        "[-j n] [-n n] [-p n]\n");
			return 2;
		}
	}
	omp_set_num_threads(threads);
	gemm_set_threads(threads);
	char err[256];
	bert_model *m = model_init_random(&c, 1, err, sizeof err);
	if (!m) {
		fprintf(stderr, "bench_forward: %s\n", err);
		return 1;
	}
	int *ids = malloc((size_t)B * T * sizeof *ids), *mask = malloc((size_t)B * T * sizeof *mask);
	for (int i = 0; i < B * T; i++) {
		ids[i] = 1000 + (i * 7919) % 20000;
		mask[i] = !((i / T) % 2 && i % T >= T - pad);
	}
	bert_ctx *x = bert_ctx_new(m);
	float *out = malloc((size_t)B * c.hidden_size * sizeof *out);
	/* GEMM floor: the same four linear layers per layer, nothing else */
	int C = c.hidden_size, FF = c.intermediate_size, N = B * T;
	size_t gn = (size_t)N * (FF > 3 * C ? FF : 3 * C);
	float *gin = malloc(gn * sizeof *gin), *gout = malloc(gn * sizeof *gout);
	for (size_t i = 0; i < gn; i++) {       /* real pages with data, as the forward's */
		gin[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
		gout[i] = 0.0f;
	}
	/* per iteration: the full forward + [CLS] pooling, bert_encode (its
	 * [CLS]-only last layer), the GEMM floor of the full forward */
	double best_f = 1e30, best_e = 1e30, best_g = 1e30, cpu_f = 1e30, cpu_e = 1e30, cpu_g = 1e30;
	for (int it = 0; it < iters + 1; it++) {
		double c0 = cpu(), t0 = now();
		if (bert_forward(x, ids, mask, B, T, err, sizeof err) || bert_pool(x, BERT_POOL_CLS, 0, out, err, sizeof err)) {
			fprintf(stderr, "bench_forward: %s\n", err);
			return 1;
		}
		double t1 = now(), c1 = cpu();
		if (bert_encode(x, ids, mask, B, T, BERT_POOL_CLS, 0, out, err, sizeof err)) {
			fprintf(stderr, "bench_forward: %s\n", err);
			return 1;
		}
		double t2 = now(), c2 = cpu();
		for (int l = 0; l < c.num_hidden_layers; l++) {
			size_t L = (size_t)l;
			matmul_forward(gout, gin, m->params.qkvw + L * 3 * C * C, NULL, 1, N, C, 3 * C);
			matmul_forward(gout, gin, m->params.attprojw + L * C * C, NULL, 1, N, C, C);
			matmul_forward(gout, gin, m->params.fcw + L * FF * C, NULL, 1, N, C, FF);
			matmul_forward(gout, gin, m->params.fcprojw + L * C * FF, NULL, 1, N, FF, C);
		}
		double t3 = now(), c3 = cpu();
		if (it == 0)
			continue;                       /* warm-up */
		best_f = t1 - t0 < best_f ? t1 - t0 : best_f;
		best_e = t2 - t1 < best_e ? t2 - t1 : best_e;
		best_g = t3 - t2 < best_g ? t3 - t2 : best_g;
		cpu_f = c1 - c0 < cpu_f ? c1 - c0 : cpu_f;
		cpu_e = c2 - c1 < cpu_e ? c2 - c1 : cpu_e;
		cpu_g = c3 - c2 < cpu_g ? c3 - c2 : cpu_g;
	}
	printf("shape L%d C%d H%d FF%d, batch %d x %d tokens, %d threads (%s kernels)\n", c.num_hidden_layers, C,
	       c.num_attention_heads, FF, B, T, threads, layers_simd() == 2 ? "AVX-512" : layers_simd() ? "AVX2" : "plain C");
	printf("forward:    %8.1f sentences/s (%.1f ms per batch, best of %d)\n", B / best_f, 1e3 * best_f, iters);
	printf("encode cls: %8.1f sentences/s (%.1f ms per batch; [CLS]-only last layer)\n", B / best_e, 1e3 * best_e);
	printf("GEMM floor: %8.1f sentences/s (%.1f ms per batch, full forward's products)\n", B / best_g, 1e3 * best_g);
	printf("forward / floor: %.3f   encode cls / floor: %.3f\n", best_g / best_f, best_g / best_e);
	if (threads == 1)       /* CPU time: robust to other processes on the machine */
		printf("cpu time: forward %.1f ms, encode cls %.1f ms, floor %.1f ms\n", 1e3 * cpu_f, 1e3 * cpu_e,
		       1e3 * cpu_g);
	free(gin), free(gout), free(out), free(ids), free(mask);
	bert_ctx_free(x);
	model_free(m);
	return 0;
}
