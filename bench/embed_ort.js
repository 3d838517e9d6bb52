// embed_ort.js - the ONNX Runtime side of bench/embed.sh (not a test, not a
// dependency): the model that embed_torch.py export-onnx wrote, run by the
// npm package onnxruntime-node on the same token ids as embed and PyTorch.
//
// Install it outside the project (no install scripts: the CPU binaries are in
// the package itself), then point ORT_DIR at that folder:
//   mkdir -p /work/ort && cd /work/ort && npm install --ignore-scripts onnxruntime-node
//   ORT_DIR=/work/ort node bench/embed_ort.js MODEL.onnx IDS BATCH THREADS [CHECK]
//
// IDS: {"ids":[...]} per line (tests/tools/tokids). Sorted by length (as
// embed_torch.py run does), batches of BATCH padded to their longest, one
// intra-op pool of THREADS threads. Prints {"sentences", "seconds", "per_s"}
// for the session runs alone and, with CHECK (embed's output for the same
// texts, first lines), the largest difference of the [CLS] vectors.
// Exits 3 with a message when onnxruntime-node is not found.
'use strict';
const fs = require('fs');
const path = require('path');

let ort;
try {
	ort = require(path.join(process.env.ORT_DIR || '/work/ort', 'node_modules', 'onnxruntime-node'));
} catch (e) {
	process.stderr.write('embed_ort.js: onnxruntime-node not found under ORT_DIR=' + (process.env.ORT_DIR || '/work/ort') +
		' (install: npm install --ignore-scripts --prefix DIR onnxruntime-node)\n');
	process.exit(3);
}

async function main() {
	const [model, idsFile, batchArg, threadsArg, check] = process.argv.slice(2);
	if (!model || !idsFile) {
		process.stderr.write('usage: node bench/embed_ort.js MODEL.onnx IDS BATCH THREADS [CHECK]\n');
		process.exit(2);
	}
	const B = parseInt(batchArg || '64', 10), threads = parseInt(threadsArg || '2', 10);
	const seqs = fs.readFileSync(idsFile, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l).ids);
	const order = seqs.map((_, i) => i).sort((a, b) => seqs[b].length - seqs[a].length || a - b);
	const session = await ort.InferenceSession.create(model, {
		intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
		graphOptimizationLevel: 'all',
	});
	const out = new Array(seqs.length);
	let seconds = 0;
	for (let s = 0; s < order.length; s += B) {
		const idx = order.slice(s, s + B);
		const T = Math.max(...idx.map((i) => seqs[i].length));
		const ids = new BigInt64Array(idx.length * T), mask = new BigInt64Array(idx.length * T);
		idx.forEach((i, r) => seqs[i].forEach((v, t) => { ids[r * T + t] = BigInt(v); mask[r * T + t] = 1n; }));
		const feeds = {
			input_ids: new ort.Tensor('int64', ids, [idx.length, T]),
			attention_mask: new ort.Tensor('int64', mask, [idx.length, T]),
		};
		const t0 = process.hrtime.bigint();
		const res = await session.run(feeds);
		seconds += Number(process.hrtime.bigint() - t0) * 1e-9;
		const cls = res.cls.data, C = res.cls.dims[1];
		idx.forEach((i, r) => { out[i] = cls.subarray(r * C, (r + 1) * C); });
	}
	const r = { sentences: seqs.length, seconds: +seconds.toFixed(3), per_s: +(seqs.length / seconds).toFixed(1) };
	if (check) {
		const ref = fs.readFileSync(check, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l).embedding);
		let d = 0;
		ref.forEach((v, i) => v.forEach((x, j) => { d = Math.max(d, Math.abs(x - out[i][j])); }));
		r.max_abs_diff_vs_gcse = d;
	}
	process.stdout.write(JSON.stringify(r) + '\n');
}

main().catch((e) => { process.stderr.write('embed_ort.js: ' + e.message + '\n'); process.exit(1); });
