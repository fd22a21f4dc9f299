export * from './atoll.js';
