export async function main(argv: readonly string[]): Promise<number> {
  await Promise.resolve();
  process.stdout.write(`tunnelwatch ${argv.join(' ')}\n`);
  return 0;
}
