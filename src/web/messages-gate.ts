/** Text of the waiting page's feedback and of a handler's own requests (/gate). */
export const GATE_FEEDBACK_MESSAGES = {
  wrongPin: '装置でPINの誤りがありました（この申請で {n} 回）。あと {left} 回誤るとPINがロックされます。',
  locked: 'PINがロックされています。この申請は承認できません。管理者（事務取扱責任者）にPINロックの解除を依頼してください。',
  approveLeft: '承認の受付はあと {m}分{s}秒です。',
  ended: {
    expired: '承認されないまま受付時間が終わりました。番号は表示されていません。必要なら「申請をやり直す」から申請し直してください。',
    consumed: '承認され、表示時間が終わったため番号を隠しました。もう一度見るには申請し直してください。',
    cancelled: 'この申請は取り消されました。',
  },
  endedExport: {
    expired: '承認されないまま受付時間が終わりました。ファイルは作られていません。',
    consumed: 'ダウンロード済み、またはダウンロードの時間が終わりました。',
    cancelled: 'この申請は取り消されました。',
  },
  reopen: '申請をやり直す',
  list: {
    title: '自分の申請',
    nav: '自分の申請',
    help: 'あなたが出した番号の表示・出力・入室の申請です（新しい順、最大50件）。承認待ちの申請は取り消せます。終わった申請は同じ内容でやり直せます。',
    empty: 'まだ申請はありません。番号を見るには、台帳で人を開き「番号を表示する」を押してください。',
    code: '申請番号',
    kind: '種類',
    subject: '対象',
    createdAt: '申請日時',
    state: '状態',
    kinds: { reveal: '番号の表示', export: '番号の出力', entry: '入室', filing: '届出ファイルへの記入' } as Record<string, string>,
    persons: '{n}名',
    open: '開く',
  },
  reopened: '同じ内容で申請し直しました。装置で新しい申請番号を入力してください。',
  cancelled: '申請を取り消しました。',
} as const;
