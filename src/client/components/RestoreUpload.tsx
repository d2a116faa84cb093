import { InboxOutlined } from '@ant-design/icons';
import { Alert, Progress, Typography, Upload } from 'antd';
import type { UploadProps } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { ARCHIVE_EXT } from '../../constants';
import { readErrorMessage } from '../api/errors';
import { UploadResult, useTasksApi } from '../api/tasks';
import { useT } from '../locale';

interface Props {
  onUploaded: (result: UploadResult, fileName: string) => void;
}

/** Step 1 of "Upload and restore": sends the archive as raw bytes; the server checks it and answers its summary. */
export function RestoreUpload({ onUploaded }: Props) {
  const t = useT();
  const api = useTasksApi();
  const [file, setFile] = useState<string>();
  const [percent, setPercent] = useState<number>();
  const [error, setError] = useState<string>();
  const abort = useRef<AbortController>();

  // Leaving the dialog cancels an upload still on its way.
  useEffect(() => () => abort.current?.abort(), []);

  const customRequest: UploadProps['customRequest'] = async (options) => {
    const raw = options.file as File;
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setFile(raw.name);
    setError(undefined);
    setPercent(0);
    try {
      const result = await api.upload(raw, { onProgress: setPercent, signal: controller.signal });
      if (controller.signal.aborted) return;
      onUploaded(result, raw.name);
    } catch (e) {
      if (controller.signal.aborted) return;
      setPercent(undefined);
      setError(await readErrorMessage(e));
    }
  };

  const uploading = percent !== undefined;
  return (
    <>
      <Upload.Dragger
        accept={ARCHIVE_EXT}
        multiple={false}
        showUploadList={false}
        disabled={uploading}
        customRequest={customRequest}
      >
        <p className="ant-upload-drag-icon">
          <InboxOutlined />
        </p>
        <p className="ant-upload-text">{t('Click or drag a backup file ({{ext}}) here', { ext: ARCHIVE_EXT })}</p>
        <p className="ant-upload-hint">{t('Nothing is restored before you confirm in the next step.')}</p>
      </Upload.Dragger>
      {uploading && (
        <div style={{ marginTop: 16 }}>
          <Typography.Text ellipsis>{file}</Typography.Text>
          <Progress percent={percent} status="active" />
          {percent >= 100 && (
            <Typography.Text type="secondary">{t('Checking the archive on the server…')}</Typography.Text>
          )}
        </div>
      )}
      {error && <Alert style={{ marginTop: 16 }} type="error" showIcon message={file} description={error} />}
    </>
  );
}
