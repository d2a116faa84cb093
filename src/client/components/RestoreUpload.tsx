import { InboxOutlined } from '@ant-design/icons';
import { Alert, Progress, Typography, Upload } from 'antd';
import type { UploadProps } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { ARCHIVE_EXT } from '../../constants';
import { readErrorMessage } from '../api/errors';
import type { UploadResult } from '../api/tasks';
import { useResumableUpload, type ResumableProgress } from '../hooks/useResumableUpload';
import { useT } from '../locale';
import { formatSize } from '../utils/format';
import { formatDuration, TransferRate } from '../utils/transferRate';

interface Props {
  onUploaded: (result: UploadResult, fileName: string) => void;
}

/**
 * Step 1 of "Upload and restore": sends the archive in resumable chunks (tus), so a proxy's body limit or a dropped
 * connection does not matter; the server checks it and answers its summary.
 */
export function RestoreUpload({ onUploaded }: Props) {
  const t = useT();
  const resumable = useResumableUpload();
  const [file, setFile] = useState<string>();
  const [percent, setPercent] = useState<number>();
  const [rate, setRate] = useState<{ speed?: number; left?: number }>({});
  const [resumed, setResumed] = useState(false);
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
    setRate({});
    setResumed(false);
    const tracker = new TransferRate();
    const onProgress = ({ sent, total }: ResumableProgress) => {
      tracker.add(sent, Date.now());
      setPercent(total ? Math.min(100, Math.floor((sent / total) * 100)) : 0);
      setRate({ speed: tracker.speed(), left: tracker.secondsLeft(total) });
    };
    try {
      const result = await resumable.upload(raw, { onProgress, onResume: () => setResumed(true), signal: controller.signal });
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
          {percent < 100 && rate.speed !== undefined && (
            <Typography.Text type="secondary" data-testid="upload-rate">
              {t('{{speed}}/s, about {{time}} left', {
                speed: formatSize(rate.speed),
                time: rate.left === undefined ? '…' : formatDuration(rate.left),
              })}
            </Typography.Text>
          )}
          {resumed && percent < 100 && (
            <div>
              <Typography.Text type="secondary">{t('Resuming the earlier upload of this file where it stopped.')}</Typography.Text>
            </div>
          )}
          {percent >= 100 && (
            <Typography.Text type="secondary">{t('Checking the archive on the server…')}</Typography.Text>
          )}
        </div>
      )}
      {error && <Alert style={{ marginTop: 16 }} type="error" showIcon message={file} description={error} />}
    </>
  );
}
