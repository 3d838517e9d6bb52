/* head.h — the training-only MLP head of SimCSE / GCSE (METHOD.md §5):
 * h = tanh(x W^T + b) on the [CLS] vector, Linear(H,H) + tanh. It is used
 * during training only; inference uses the plain [CLS] vector, so it is
 * saved apart from the encoder.
 *
 * Parameters (the caller's arena; gradients in the same layout):
 *   W  (H,H)  stored [out,in] as torch.nn.Linear.weight
 *   b  (H)
 * Rows of the input may be strided: the [CLS] vector of sequence i of a
 * (B,T,C) hidden-state tensor is at hidden + i*T*C, so ld = T*C. */
#ifndef GCSE_HEAD_H
#define GCSE_HEAD_H
#include <stddef.h>

typedef struct mlp_head {
	float *W;   /* (H,H) [out,in] */
	float *b;   /* (H) */
} mlp_head;

/* inp is (N,H) with row stride ld >= H, W is (H,H), b is (H), out is (N,H)
 * contiguous: out = tanh(inp W^T + b). out is what backward needs. */
void mlp_forward(float *out, const float *inp, int ld, const float *W,
                 const float *b, int N, int H);
/* dout, out are (N,H); dpre is (N,H) scratch (overwritten with
 * dout * (1 - out^2)); dinp (N,H) at row stride ld, dW (H,H), db (H)
 * receive += (dinp may be NULL when the input needs no gradient). */
void mlp_backward(float *dinp, int ld, float *dW, float *db, float *dpre,
                  const float *dout, const float *out, const float *inp,
                  const float *W, int N, int H);

/* Reads the head's tensors "mlp.dense.weight" (H,H) and "mlp.dense.bias"
 * (H) (SimCSE's BertForCL names; gcsetrain writes them to
 * DIR/mlp_head.safetensors) from a safetensors file into W and b. 0, or -1
 * with a message (a missing file or tensor, other shapes). */
int mlp_head_read(const char *path, int H, float *W, float *b, char *err, size_t errlen);
#define MLP_HEAD_FILE "mlp_head.safetensors"
#define MLP_HEAD_W "mlp.dense.weight"
#define MLP_HEAD_B "mlp.dense.bias"

/* Naive references of the two (plain loops, double accumulation). */
void mlp_forward_ref(float *out, const float *inp, int ld, const float *W,
                     const float *b, int N, int H);
void mlp_backward_ref(float *dinp, int ld, float *dW, float *db,
                      const float *dout, const float *out, const float *inp,
                      const float *W, int N, int H);
#endif
