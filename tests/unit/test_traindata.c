/* test_traindata.c — gcsetrain's batches (lib/train/traindata.h): one block of
 * texts for masked-LM, padded to the longest; length buckets that keep every
 * example once per epoch and cut the padding. */
#include "t.h"
#include "train/traindata.h"

/* n texts of lengths 3 + (i * 7919) % 29 (ids i*100 + j). */
static train_data make(size_t n)
{
	train_data d = {0};
	d.k = 1;
	d.n = n;
	d.off = malloc((n + 1) * sizeof *d.off);
	size_t tot = 0;
	for (size_t i = 0; i < n; i++)
		tot += 3 + (i * 7919) % 29;
	d.tok = malloc(tot * sizeof *d.tok);
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		d.off[i] = at;
		int len = 3 + (int)((i * 7919) % 29);
		for (int j = 0; j < len; j++)
			d.tok[at++] = (int)i * 100 + j;
	}
	d.off[n] = at;
	return d;
}

static void test_batch_texts(void)
{
	train_data d = make(10);
	int64_t idx[3] = {4, 1, 7};
	int ids[3 * 40], mask[3 * 40];
	int T = train_batch_texts(&d, idx, 3, -1, 40, ids, mask);
	int l4, l1, l7;
	train_text(&d, 4, 0, &l4), train_text(&d, 1, 0, &l1), train_text(&d, 7, 0, &l7);
	int mx = l4 > l1 ? l4 : l1;
	mx = mx > l7 ? mx : l7;
	T_EQ_INT(T, mx);
	for (int r = 0; r < 3; r++) {
		int len = r == 0 ? l4 : r == 1 ? l1 : l7;
		for (int j = 0; j < T; j++) {
			T_EQ_INT(mask[r * T + j], j < len);
			T_EQ_INT(ids[r * T + j], j < len ? (int)idx[r] * 100 + j : -1);
		}
	}
	free(d.off), free(d.tok);
}

static double padding(const train_data *d, const int64_t *order, size_t n, int B)
{
	double pad = 0;
	for (size_t a = 0; a + B <= n; a += B) {
		int mx = 0, sum = 0;
		for (int i = 0; i < B; i++) {
			int len;
			train_text(d, (size_t)order[a + i], 0, &len);
			mx = len > mx ? len : mx;
			sum += len;
		}
		pad += (double)mx * B - sum;
	}
	return pad;
}

static void test_buckets(void)
{
	size_t n = 1000;
	int B = 16;
	train_data d = make(n);
	int64_t *o = malloc(n * sizeof *o), *o2 = malloc(n * sizeof *o2);
	for (size_t i = 0; i < n; i++)
		o[i] = (int64_t)i;
	rng r;
	rng_seed(&r, 1);
	rng_shuffle(&r, o, n, sizeof *o);
	double before = padding(&d, o, n, B);
	int64_t last[8];
	memcpy(o2, o, n * sizeof *o);
	rng r2 = r;
	T_EQ_INT(train_order_buckets(&d, o, n, B, 10, &r), 0);
	/* a permutation still */
	char *seen = calloc(n, 1);
	for (size_t i = 0; i < n; i++) {
		T_ASSERT(o[i] >= 0 && (size_t)o[i] < n && !seen[o[i]]);
		seen[o[i]] = 1;
	}
	/* far less padding */
	double after = padding(&d, o, n, B);
	printf("# padding tokens: %.0f shuffled, %.0f in buckets\n", before, after);
	T_ASSERT(after < 0.25 * before);
	/* the last partial batch (1000 = 62 x 16 + 8) stays last: the tail of the
	 * last window, sorted */
	memcpy(last, o + 992, sizeof last);
	for (int i = 1; i < 8; i++) {
		int la, lb;
		train_text(&d, (size_t)last[i - 1], 0, &la);
		train_text(&d, (size_t)last[i], 0, &lb);
		T_ASSERT(la <= lb);
	}
	/* deterministic for a generator state */
	T_EQ_INT(train_order_buckets(&d, o2, n, B, 10, &r2), 0);
	T_ASSERT(!memcmp(o, o2, n * sizeof *o));
	/* batches are not in length order: the shuffle mixed them */
	int ups = 0;
	for (size_t a = B; a + B <= 992; a += B) {
		int l0, l1;
		train_text(&d, (size_t)o[a - B], 0, &l0);
		train_text(&d, (size_t)o[a], 0, &l1);
		ups += l1 > l0;
	}
	T_ASSERT(ups > 10 && ups < 50);
	free(seen), free(o), free(o2), free(d.off), free(d.tok);
}

int main(void)
{
	T_RUN(test_batch_texts);
	T_RUN(test_buckets);
	return t_done();
}
