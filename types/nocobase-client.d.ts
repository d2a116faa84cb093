// @nocobase/client 2.2.x is not published on this registry (the admin shell provides it at run time), so the
// little this plugin uses is declared here for the type check (`npm run typecheck`).
declare module '@nocobase/client' {
  export class Plugin {
    app: unknown;
    load(): Promise<void>;
  }
  export function useAPIClient(): unknown;
  export function useApp(): unknown;
}
