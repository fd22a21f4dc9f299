// Entry point of @atoll/proto. The import order matters: long-off.js must run first.
import './long-off.js';

export * from './atoll.js';
