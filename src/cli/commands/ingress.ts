export async function ingressCommand(): Promise<number> { return 0; }
