import { Form, Input } from 'antd';
import type { ReactNode } from 'react';
import { useT } from '../locale';

interface Props {
  label: string;
  extra?: ReactNode;
  placeholder?: string;
  disabled?: boolean;
  /** Makes the password required, with this message. */
  requiredMessage?: string;
}

/**
 * An optional archive password and, once one is typed, the same again: a mistyped password would leave a backup
 * that nobody can restore. Form fields: `password`, `passwordRepeat`.
 */
export function PasswordFields({ label, extra, placeholder, disabled, requiredMessage }: Props) {
  const t = useT();
  const password: string | undefined = Form.useWatch('password');
  return (
    <>
      <Form.Item
        label={label}
        name="password"
        extra={extra}
        rules={requiredMessage ? [{ required: true, message: requiredMessage }] : undefined}
      >
        <Input.Password autoComplete="new-password" placeholder={placeholder} disabled={disabled} />
      </Form.Item>
      {!!password && !disabled && (
        <Form.Item
          label={t('Repeat the password')}
          name="passwordRepeat"
          dependencies={['password']}
          rules={[
            ({ getFieldValue }) => ({
              validator: (_rule, value: string | undefined) =>
                !getFieldValue('password') || value === getFieldValue('password')
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('The passwords do not match.'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      )}
    </>
  );
}
