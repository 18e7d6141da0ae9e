declare module 'dynalite' {
  import type { Server } from 'node:http';
  /** dynalite's factory: an in-memory DynamoDB-compatible HTTP server. */
  export default function dynalite(options?: {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    path?: string;
  }): Server;
}
