// One tus upload from Node with tus-js-client, as the page does it (tests and `npm run bench --only uploads`).
const path = require('path');
const tus = require('tus-js-client');

const MB = 1024 * 1024;

/**
 * Resolves with the upload's URL once the last chunk is in; rejects with the client's error, which carries `url`
 * (the upload to resume with `uploadUrl`). `file`: a Buffer, or an fs.ReadStream (read again from its path on resume).
 */
function tusUpload({ endpoint, file, fileName, headers, chunkSize = 8 * MB, uploadUrl, retryDelays = null, onProgress }) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, {
      endpoint,
      uploadUrl,
      chunkSize,
      headers,
      retryDelays,
      metadata: { filename: fileName || (file.path ? path.basename(file.path) : 'upload.nbbm') },
      onProgress,
      onError: (err) => reject(Object.assign(err, { url: upload.url })),
      onSuccess: () => resolve(upload.url),
    });
    upload.start();
  });
}

/** The restore action's uploadId from a finished tus upload's URL (…/tus-<hex>). */
const uploadIdOfUrl = (url) => /tus-([a-f0-9]{32})$/.exec(url)[1];

module.exports = { tusUpload, uploadIdOfUrl, MB };
