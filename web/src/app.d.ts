declare global {
  namespace App {
    interface Locals {
      /** The signed-in merchant's key (from the httpOnly cookie); undefined = the demo merchant, where allowed. */
      apiKey?: string;
      api: import('$lib/server/api').Api;
    }
  }
}
export {};
