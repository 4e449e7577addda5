/** The product version, injected at build time from package.json. */
declare const __LIFEBOAT_VERSION__: string | undefined;
export const APP_VERSION: string = typeof __LIFEBOAT_VERSION__ === 'string' ? __LIFEBOAT_VERSION__ : '0.0.0-dev';
