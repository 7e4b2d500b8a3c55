export async function validateCommand(): Promise<number> { return 0; }
