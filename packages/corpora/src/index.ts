// Filled by its issue; exports only what works.
export {};
