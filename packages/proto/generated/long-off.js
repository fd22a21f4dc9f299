// Loaded before the generated code (see index.js): decode 64-bit integers as JS numbers,
// not Long objects. Atoll keeps every 64-bit value it needs exact (timestamps) as a
// {physical, logical} pair, and ids, terms and indexes stay below 2^53.
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = null;
$protobuf.configure();
