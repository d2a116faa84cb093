import { Alert, App, Checkbox, Form, Input, Modal } from 'antd';
import { useState } from 'react';
import { readErrorMessage } from '../api/errors';
import { useTasksApi } from '../api/tasks';
import { useT } from '../locale';
import { ExcludeCollectionsField } from './ExcludeCollectionsSelect';
import { PasswordFields } from './PasswordFields';
import { SubAppsField } from './SubAppsSelect';
import { DataSourcesField } from './DataSourcesSelect';
import { SCROLLING_BODY } from '../utils/dialogBody';
import { NOTE_MAX } from './NoteCell';

interface Props {
  open: boolean;
  onClose: () => void;
  onCreated: () => void;
  /** The configured off-site storage, if any: the dialog offers to skip its copy for this backup. */
  offsiteStorage?: string | null;
}

interface Values {
  includeUploads: boolean;
  includePlugins: boolean;
  excludeCollections?: string[];
  offsite?: boolean;
  subApps?: string[];
  dataSources?: string[];
  password?: string;
  passwordRepeat?: string;
  note?: string;
}

const INITIAL: Values = { includeUploads: true, includePlugins: true, offsite: true };

export function BackupNowModal({ open, onClose, onCreated, offsiteStorage }: Props) {
  const t = useT();
  const api = useTasksApi();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async () => {
    const values = await form.validateFields();
    setSubmitting(true);
    setError(undefined);
    try {
      await api.create(
        {
          includeUploads: !!values.includeUploads,
          includePlugins: !!values.includePlugins,
          excludeCollections: values.excludeCollections?.length ? values.excludeCollections : undefined,
          offsite: offsiteStorage ? values.offsite !== false : undefined,
          subApps: values.subApps?.length ? values.subApps : undefined,
          dataSources: values.dataSources?.length ? values.dataSources : undefined,
          note: values.note?.trim() || undefined,
        },
        values.password || undefined,
      );
      message.success(t('The backup has started.'));
      onCreated();
      onClose();
    } catch (e) {
      setError(await readErrorMessage(e));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('Backup now')}
      okText={t('Start backup')}
      cancelText={t('Cancel')}
      confirmLoading={submitting}
      onOk={submit}
      onCancel={onClose}
      afterClose={() => setError(undefined)}
      maskClosable={false}
      destroyOnClose
      styles={{ body: SCROLLING_BODY }}
    >
      <Form form={form} layout="vertical" initialValues={INITIAL} preserve={false}>
        <Form.Item name="note" label={t('Note')} extra={t('Shown in the list and kept in the archive.')}>
          <Input maxLength={NOTE_MAX} placeholder={t('e.g. before the v2.3 upgrade')} />
        </Form.Item>
        <Form.Item name="includeUploads" valuePropName="checked" style={{ marginBottom: 4 }}>
          <Checkbox>{t('Include uploads')}</Checkbox>
        </Form.Item>
        <Form.Item name="includePlugins" valuePropName="checked">
          <Checkbox>{t('Include plugins')}</Checkbox>
        </Form.Item>
        <ExcludeCollectionsField />
        <SubAppsField />
        <DataSourcesField />
        {offsiteStorage && (
          <Form.Item name="offsite" valuePropName="checked">
            <Checkbox>{t('Also copy it to the off-site storage {{name}}', { name: offsiteStorage })}</Checkbox>
          </Form.Item>
        )}
        <PasswordFields
          label={t('Backup password')}
          placeholder={t('Optional')}
          extra={t('Leave empty for an unencrypted archive')}
        />
        {error && <Alert type="error" showIcon message={error} />}
      </Form>
    </Modal>
  );
}
