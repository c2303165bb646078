// The test mirror's destination id (its own file: the workflow bundle must not load spec.ts's Node imports).
export const MIRROR_ID = 'mirror';
