/** @atoll/store: the store node. */
export {};
