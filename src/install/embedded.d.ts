/**
 * Types for the packaging texts `texts.ts` imports with `{ type: "text" }`: Bun inlines them
 * into the bundle, so the compiled binary carries them and `install` never reads packaging/.
 */
declare module "*.service" {
  const text: string;
  export default text;
}

declare module "*.timer" {
  const text: string;
  export default text;
}

declare module "*.tmpfiles" {
  const text: string;
  export default text;
}
