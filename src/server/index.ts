export { default } from './plugin';
export { PluginBackupsManagerServer } from './plugin';
