// The sample filing files live beside the bench, which builds its 源泉徴収票 file with them.
export * from '../../bench/filing-samples.js';
