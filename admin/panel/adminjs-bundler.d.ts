// `adminjs/bundler` has no types under its export: the part of it the panel uses (adminjs 7.8).
declare module 'adminjs/bundler' {
  import type AdminJS from 'adminjs';

  export const ADMIN_JS_TMP_DIR: string;
  export const COMPONENTS_OUTPUT_PATH: string;
  export const componentsBundler: {
    createEntry(options: { dir?: string; content: string }): Promise<void>;
    build(): Promise<void>;
  };
  export function generateUserComponentEntry(admin: AdminJS, entryPath: string): string;
}
