/* head.c — Linear(H,H) + tanh on the [CLS] vector, forward and backward. */
#include "train/head.h"
#include "nn/layers.h"
#include "nn/safetensors.h"
#include "base/err.h"

#include <math.h>

void mlp_forward(float *out, const float *inp, int ld, const float *W,
                 const float *b, int N, int H)
{
	/* out (N,H) = inp (N,H; rows at ld) . W^T (W^T[k][o] = W[o*H + k]) */
	gemm_strided(N, H, H, 1.0f, inp, ld, 1, W, 1, H, 0.0f, out, H, 1);
	#pragma omp parallel for schedule(static) if ((long)N * H >= 32768)
	for (int i = 0; i < N; i++)
		for (int o = 0; o < H; o++)
			out[(size_t)i * H + o] = tanhf(out[(size_t)i * H + o] + b[o]);
}

void mlp_backward(float *dinp, int ld, float *dW, float *db, float *dpre,
                  const float *dout, const float *out, const float *inp,
                  const float *W, int N, int H)
{
	#pragma omp parallel for schedule(static) if ((long)N * H >= 32768)
	for (int i = 0; i < N; i++)
		for (int o = 0; o < H; o++) {
			size_t k = (size_t)i * H + o;
			dpre[k] = dout[k] * (1.0f - out[k] * out[k]);
		}
	/* db[o] += sum_i dpre[i][o], rows in order (deterministic) */
	#pragma omp parallel for schedule(static) if ((long)N * H >= 32768)
	for (int o = 0; o < H; o++) {
		float s = 0;
		for (int i = 0; i < N; i++)
			s += dpre[(size_t)i * H + o];
		db[o] += s;
	}
	/* dW (H,H) += dpre^T (H,N) . inp (N,H) */
	gemm_strided(H, H, N, 1.0f, dpre, 1, H, inp, ld, 1, 1.0f, dW, H, 1);
	/* dinp (N,H) += dpre (N,H) . W (H,H) */
	if (dinp)
		gemm_strided(N, H, H, 1.0f, dpre, H, 1, W, H, 1, 1.0f, dinp, ld, 1);
}

void mlp_forward_ref(float *out, const float *inp, int ld, const float *W,
                     const float *b, int N, int H)
{
	for (int i = 0; i < N; i++)
		for (int o = 0; o < H; o++) {
			double s = b[o];
			for (int k = 0; k < H; k++)
				s += (double)inp[(size_t)i * ld + k] * W[(size_t)o * H + k];
			out[(size_t)i * H + o] = (float)tanh(s);
		}
}

void mlp_backward_ref(float *dinp, int ld, float *dW, float *db,
                      const float *dout, const float *out, const float *inp,
                      const float *W, int N, int H)
{
	for (int o = 0; o < H; o++) {
		double sb = 0;
		for (int i = 0; i < N; i++) {
			size_t k = (size_t)i * H + o;
			sb += (double)dout[k] * (1.0 - (double)out[k] * out[k]);
		}
		db[o] += (float)sb;
		for (int k = 0; k < H; k++) {
			double s = 0;
			for (int i = 0; i < N; i++) {
				size_t q = (size_t)i * H + o;
				s += (double)dout[q] * (1.0 - (double)out[q] * out[q]) *
				     inp[(size_t)i * ld + k];
			}
			dW[(size_t)o * H + k] += (float)s;
		}
	}
	if (!dinp)
		return;
	for (int i = 0; i < N; i++)
		for (int k = 0; k < H; k++) {
			double s = 0;
			for (int o = 0; o < H; o++) {
				size_t q = (size_t)i * H + o;
				s += (double)dout[q] * (1.0 - (double)out[q] * out[q]) * W[(size_t)o * H + k];
			}
			dinp[(size_t)i * ld + k] += (float)s;
		}
}

int mlp_head_read(const char *path, int H, float *W, float *b, char *err, size_t errlen)
{
	st_file *f = st_open(path, err, errlen);
	if (!f)
		return -1;
	const st_tensor *w = st_find(f, MLP_HEAD_W), *bb = st_find(f, MLP_HEAD_B);
	int rc = -1;
	if (!w || !bb)
		seterr(err, errlen, "%s: no tensor %s", path, !w ? MLP_HEAD_W : MLP_HEAD_B);
	else if (w->ndim != 2 || w->shape[0] != H || w->shape[1] != H || bb->ndim != 1 || bb->shape[0] != H)
		seterr(err, errlen, "%s: head shape does not match hidden size %d", path, H);
	else if (st_to_f32(f, w, W, err, errlen) == 0 && st_to_f32(f, bb, b, err, errlen) == 0)
		rc = 0;
	st_close(f);
	return rc;
}
