export { syntheticCsv, syntheticNumber, validNumber } from '../../bench/synthetic.js';
