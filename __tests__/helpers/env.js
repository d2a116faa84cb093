// NocoBase resolves plugins by package name under NODE_MODULES_PATH: point it at the dev app's node_modules.
const path = require('path');
process.env.NODE_MODULES_PATH = process.env.NODE_MODULES_PATH || path.join(__dirname, '..', '..', '.app', 'node_modules');
process.env.LOGGER_LEVEL = process.env.LOGGER_LEVEL || 'error';
process.env.APP_KEY = process.env.APP_KEY || 'backups-manager-test-key';
