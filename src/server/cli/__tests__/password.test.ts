import { UsageError } from '../exit-codes';
import { PASSWORD_ENV, passwordForNew, passwordToOpen } from '../password';

/** A terminal that answers the given lines in turn (undefined: no terminal). */
const answers = (...lines: (string | undefined)[]) => {
  const asked: string[] = [];
  const ask = async (question: string) => {
    asked.push(question);
    return lines.shift();
  };
  return { ask, asked };
};

describe('archive passwords on the command line', () => {
  it('takes the password from the environment without asking', async () => {
    const t = answers('never');
    expect(await passwordToOpen({ [PASSWORD_ENV]: 's3cret' }, t.ask)).toBe('s3cret');
    expect(await passwordForNew({ [PASSWORD_ENV]: 's3cret' }, t.ask)).toBe('s3cret');
    expect(t.asked).toEqual([]);
  });

  it('asks once to open, twice for a new backup', async () => {
    expect(await passwordToOpen({}, answers('pw').ask)).toBe('pw');
    const t = answers('pw', 'pw');
    expect(await passwordForNew({}, t.ask)).toBe('pw');
    expect(t.asked).toHaveLength(2);
  });

  it('gives no password to open without a terminal (the reader then says PASSWORD_REQUIRED)', async () => {
    expect(await passwordToOpen({}, answers(undefined).ask)).toBeUndefined();
  });

  it('refuses a new password that is missing, empty or not repeated the same', async () => {
    await expect(passwordForNew({}, answers(undefined).ask)).rejects.toThrow(UsageError);
    await expect(passwordForNew({}, answers('').ask)).rejects.toThrow(/empty/);
    await expect(passwordForNew({}, answers('a', 'b').ask)).rejects.toThrow(/do not match/);
  });
});
