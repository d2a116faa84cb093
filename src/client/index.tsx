export { PluginBackupsManagerClient, default } from './plugin';
