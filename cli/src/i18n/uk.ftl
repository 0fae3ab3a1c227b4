# Тексти custody українською. Кожне повідомлення є й у en.ftl, з тими самими
# аргументами (це перевіряє тест). Кількості узгоджуються з числом за
# правилами CLDR: [one] 1, 21 день; [few] 2, 22 дні; [many] 5, 11, 25 днів.
# Терміни права — в офіційному українському формулюванні, де воно є
# (Женевські конвенції, МКЧХ); в глосарії поруч дано англійський термін.

## Кількості

count-plain = { $count }
count-items = { $count ->
    [one] { $count } позиція
    [few] { $count } позиції
    [many] { $count } позицій
   *[other] { $count } позиції
}
count-entries = { $count ->
    [one] { $count } запис
    [few] { $count } записи
    [many] { $count } записів
   *[other] { $count } запису
}
days-exact = { $days ->
    [one] { $days } день
    [few] { $days } дні
    [many] { $days } днів
   *[other] { $days } дня
}
days-between = від { $min } до { $max ->
    [one] { $max } дня
   *[other] { $max } днів
} (дати приблизні)
seq = seq { $seq }
yes = так
no = ні
# Особисте поле формату 3, розкриття якого пакет не містить.
withheld = (приховано)
none = Немає.

## Досьє: заголовки й підписи

dossier-title = Досьє ланцюга зберігання доказів: { $person }
heading-summary = Підсумок
heading-status = Статус і правовий відлік строків
heading-flags = Позначки
heading-disputes = Оскарження
heading-timeline = Хронологія
heading-evidence = Докази щодо { $person } ({ $count ->
    [one] { $count } позиція
    [few] { $count } позиції
    [many] { $count } позицій
   *[other] { $count } позиції
})
heading-governance = Ключі та управління
heading-verified = Що перевірено і як
heading-reverify = Як перевірити самостійно
heading-glossary = Глосарій
no-item = На цей зріз немає жодної позиції.
label-time-cut = Зріз у часі
time-cut-shows = це досьє показує { $cut }.
label-check-authority = Перевірте ключ уповноваженого органу
banner-check-authority = { $key } — цей пакет не звірено з ключем, якому ви довіряєте. Порівняйте цей ключ із тим, який вам надав уповноважений орган реєстру, або запустіть команду знову з { $option }.
label-ledger = Реєстр
label-verdict = Висновок
label-status = Статус
label-authority = Ключ уповноваженого органу (генезис)
authority-key-value = { $key } ({ $holder }) — { $check }
authority-pinned = збігається з ключем, указаним у --authority
authority-store = зі сховища оператора; порівняйте його з ключем, який вам надав уповноважений орган реєстру
authority-not-pinned = НЕ перевірено: порівняйте його з ключем, який вам надав уповноважений орган реєстру
label-checkpoint = Контрольна точка
checkpoint-value = { $size ->
    [one] { $size } запис
    [few] { $size } записи
    [many] { $size } записів
   *[other] { $size } запису
}, корінь { $root }, підписано { $signer } ({ $holder }, { $role ->
    [registrar] реєстратор
   *[authority] уповноважений орган
} із seq { $since })
source-store = побудовано зі сховища { $dir } (так, як його записує `custody export --person { $person }`)
label-bundle-sha256 = SHA-256 пакета
label-generated = Створено
label-occurred = Сталося
label-attachment = Додаток
label-recorded = Записано
label-signed-by = Підписано
signed-by-value = { $key } ({ $holder }), роль під час підписання: { $roles }
roles-none = немає
label-entry-hash = Хеш запису
label-proof = Доказ включення
label-concerns = Стосується
concerns-item = позиції { $item } (запис { $hash })
concerns-not-shown = запису, не показаного на цей зріз (запис { $hash })
label-replacement = Заміна ({ $title })
mark-retracted = ВІДКЛИКАНО позицією { $item }
mark-replaced = ЗАМІНЕНО позицією { $item }
correction-retracted = { $mark } (seq { $seq }, запис { $hash }):{ $end } { $reason }. Ця позиція більше не враховується.
correction-replaced = { $mark } (seq { $seq }, запис { $hash }):{ $end } { $reason }. Ця позиція більше не враховується; враховується її заміна, наведена нижче.
mark-disputed = ОСКАРЖЕНО позицією { $item } (seq { $seq })
disputed-by = , хто: { $by }: { $reason }
dispute-line = Позицію { $item } ({ $title }) оскаржено позицією { $by_item } (seq { $seq }), хто: { $by }: { $reason }
governance-intro = Хто міг підписувати — відтворено із записів управління реєстру (усі { $count } перед контрольною точкою):
governance-line = seq { $seq } ({ $at }): { $what } — підписано { $signer }, хеш запису { $hash }
reverify-intro = Маючи файл пакета (його SHA-256: { $sha256 }) і ключ уповноваженого органу, який вам надали:
reverify-checkpoint = Контрольна точка: реєстр { $origin }, { $size ->
    [one] { $size } запис
    [few] { $size } записи
    [many] { $size } записів
   *[other] { $size } запису
}, корінь { $root }, підписано { $signer }. Створено { $generated }.
reverify-without-custody = Будь-хто може перевірити пакет без цієї програми: docs/FORMAT.md, розділ 7 («Person bundles»), описує кожен крок — декодувати кожен запис, заново обчислити його хеш SHA-256, перевірити його підпис Ed25519, відтворити ролі ключів із записів управління і заново обчислити корінь Меркла, який указано в підписаній контрольній точці.

## Точність дат (самі дати лишаються у форматі ISO)

precision-year = з точністю до року
precision-month = з точністю до місяця
precision-day = з точністю до дня
precision-instant = з точністю до моменту
precision-unknown = точність невідома

## Зріз у часі

cut-as-of = стан справ на { $at } (події, які могли статися до цього моменту)
cut-known-at = те, що реєстр зафіксував до { $at } (пізніші записи й виправлення не враховано)

## Висновок

verdict-signer = контрольна точка, підписана { $signer } ({ $holder })
verdict-complete = ПОВНИЙ (COMPLETE) — це всі записи про { $person } ({ $entries ->
    [one] { $entries } запис
    [few] { $entries } записи
    [many] { $entries } записів
   *[other] { $entries } запису
}) і всі записи управління ({ $governance }) станом на контрольну точку з { $size ->
    [one] { $size } запису
   *[other] { $size } записів
} ({ $signer }): нічого про цю особу не пропущено і нічого не змінено
verdict-absent = ВІДСУТНІЙ (ABSENT) — жоден запис не стосується { $person } станом на контрольну точку з { $size ->
    [one] { $size } запису
   *[other] { $size } записів
} ({ $signer }); показано записи управління перед нею ({ $governance })
verdict-inclusion-only = ЛИШЕ ВКЛЮЧЕННЯ (INCLUSION ONLY) — показані записи є в реєстрі, але інші могли бути пропущені ({ $signer })
verdict-at-cut = ; на зазначений вище зріз у часі з них показано { $shown }

## Записи управління

governance-genesis = створено реєстр { $ledger }; його ключ уповноваженого органу { $key } належить: { $holder }
governance-granted = ключу { $key } надано роль { $role } (власник: { $holder })
governance-revoked = ключ { $key } відкликано: { $reason }

## Типи подій

title-missing-report = Повідомлення про зникнення безвісти
title-capture = Полонення
title-icrc-notification = Повідомлення МКЧХ
title-sighting = Свідчення (бачили живим у полоні)
title-release = Звільнення
title-death = Смерть
title-correspondence = Листування (зв’язок із родиною)
title-correction = Виправлення
title-denial = Заперечення (відмова визнати тримання під вартою)
title-inquiry = Запит (прохання надати відомості)
title-transfer = Переведення
title-visit = Відвідування
title-legal-proceeding = Судове провадження
title-ill-treatment = Повідомлення про жорстоке поводження
title-remains-returned = Повернення останків
title-dispute = Оскарження
title-clock-correction = Виправлення годинника
title-genesis = Генезис
title-key-granted = Надання ключа
title-key-revoked = Відкликання ключа
title-checkpoint = Контрольна точка
title-seal = Печатка
title-statement = Заява (доказ, підписаний автором і зареєстрований тут)
title-redaction = Вилучення (персональні дані стерто)
title-predecessor = Попередник (реєстр, який цей перевидає)

# Поле, стерте вилученням (формат v3): seq вилучення, хто його підписав, причина.
value-redacted = (вилучено записом seq { $seq }, підписав { $holder }, причина: { $reason })

## Поля подій

field-person = Особа
field-name = Ім’я
field-date-of-birth = Дата народження
field-service-number = Особистий номер
field-unit = Підрозділ
field-category = Категорія
field-last-seen-place = Востаннє бачили
field-place = Місце
field-from = Звідки
field-to = Куди
field-by = Ким
field-circumstances = Обставини
field-source = Джерело
field-kind = Вид
field-cause = Причина
field-visitor = Хто відвідав
field-stage = Стадія
field-authority = Орган
field-charge = Обвинувачення
field-sentence = Вирок
field-via = Через
field-reference = Номер
field-reason = Підстава
field-notes = Примітки
field-witnesses = Свідки
field-location-disclosed = Місце тримання розкрито
field-health-disclosed = Стан здоров’я розкрито
field-remains-returned = Останки повернуто
field-target = Запис, якого стосується (хеш)
field-since = Від seq
field-field = Поле

## Статус

status-no-evidence = на цей зріз немає доказів щодо цієї особи
status-since = { $what } — з { $since } ({ $status })
status-missing = зниклий безвісти: заявлено про зникнення, доказів тримання під вартою немає
status-held-unacknowledged = утримується, не визнано: є докази, що особа перебуває під вартою, але держава, що тримає в полоні, цього не визнала
status-held-acknowledged = утримується, визнано: держава, що тримає в полоні, повідомила МКЧХ (або визнала тримання власним актом)
status-released = звільнений (обмін, репатріація або звільнення)
status-deceased = помер: зафіксовано смерть

## Значення переліків: осі статусу і словник подій

value-none = немає
value-refused = відмовлено
value-notified = повідомлено
value-official-act = офіційний акт
value-held = утримується
value-released = звільнений
value-unknown = невідомо
value-alive = живий
value-dead = помер
value-disputed = оскаржується
value-prisoner-of-war = військовополонений
value-security-detainee = затриманий з міркувань безпеки
value-civilian-internee = інтернована цивільна особа
value-criminal-suspect = підозрюваний у кримінальному провадженні
value-convicted = засуджений
value-civilian = цивільна особа
value-torture = катування
value-beating = побиття
value-sexual-violence = сексуальне насильство
value-denial-of-medical-care = відмова в медичній допомозі
value-starvation = морення голодом
value-other = інше
value-execution = страта
value-death-in-custody = смерть під вартою
value-killed-in-action = загинув у бою
value-transfer = повідомлення про переведення
value-legal-proceeding = судове провадження
value-military = військовослужбовець
value-returned-pow = військовополонений, що повернувся з полону
value-returned-civilian = цивільна особа, що повернулася з полону
value-video = відео
value-tv = телебачення
value-telegram = Telegram
value-parcel-accepted = передачу прийнято
value-phone-call = телефонний дзвінок
value-official = офіційне джерело
value-icrc = МКЧХ
value-lawyer = адвокат
value-family = родина
value-consular = консульська установа
value-un-monitor = моніторингова місія ООН
value-interned-security = інтернування з міркувань безпеки
value-administrative-detention = адміністративне затримання
value-charged = пред’явлено обвинувачення
value-remanded = обрано запобіжний захід — тримання під вартою
value-sentenced = ухвалено вирок
value-appeal-rejected = апеляцію відхилено
value-self = сама особа
value-witness = свідок
value-forensic = судово-медична експертиза
value-medical = медичні дані
value-exchange = обмін
value-repatriation = репатріація
value-release = звільнення
value-letter = лист
value-call = дзвінок
value-message = повідомлення

## Правовий відлік строків

clock-counted-to = Відлік до
clock-counted-to-meaning = Кожен відлік днів нижче ведеться до цього моменту: підписаної контрольної точки реєстру (її печатки), останнього моменту, який засвідчують докази, або зрізу --as-of. Про те, що сталося після нього, досьє нічого не стверджує.
clock-name = Ім’я
clock-name-meaning = Ім’я, зазначене в повідомленні про зникнення (реєстр знає особу за її ідентифікатором).
clock-last-known-place = Останнє відоме місце
clock-last-known-place-meaning = Найпізніше місце, яке називають докази (полонення, свідчення, переведення, відвідування або місце, де особу востаннє бачили на волі): де шукати.
clock-place-value = { $place } ({ $at }, { $by })
clock-captured = Полонення
clock-captured-meaning = Зафіксоване полонення, з якого почалося нинішнє тримання.
clock-captured-bound-meaning = Полонення не зафіксовано: перший доказ тримання (свідчення) є межею — полонення сталося не пізніше цієї дати і не раніше, ніж особу востаннє бачили на волі. Кожен відлік днів нижче ведеться від цих меж.
clock-captured-between = між { $after } і { $by }
clock-captured-no-later = не пізніше { $by }
clock-icrc-notified = МКЧХ повідомлено
clock-icrc-notified-meaning = Коли держава, що тримає в полоні, повідомила МКЧХ (III Женевська конвенція, ст. 70, 122: протягом тижня після полонення).
clock-acknowledged = Визнано
clock-acknowledged-meaning = Держава, що тримає під вартою, визнала тримання власним актом (рішенням суду, повідомленням про переведення), не повідомивши МКЧХ.
clock-acknowledged-value = { $at }: { $by }
clock-notification-delay = Затримка повідомлення
clock-notification-delay-meaning = Дні від полонення до повідомлення: понад 7 — порушення ст. 70 III Женевської конвенції.
clock-unacknowledged-for = Без визнання
clock-unacknowledged-for-meaning = Дні під вартою після полонення без повідомлення (до звільнення, смерті, зрізу або сьогодні).
clock-last-contact = Останній зв’язок
clock-last-contact-meaning = Останнє листування чи відвідування під час цього тримання (або полонення).
clock-without-contact-for = Без зв’язку
clock-without-contact-for-meaning = Дні від останнього зв’язку під час тримання: понад 30 — тримання без зв’язку із зовнішнім світом (incommunicado; III Женевська конвенція, ст. 71).
clock-released = Звільнено
clock-released-meaning = Звільнення, яким закінчилося останнє тримання.
clock-died = Смерть
clock-died-meaning = Зафіксована смерть.
clock-cause-of-death = Причина смерті
clock-cause-of-death-meaning = Як зафіксовано.
clock-remains-returned = Останки повернуто
clock-remains-returned-meaning = Чи було передано останки.
clock-axes = Осі статусу
clock-axes-meaning = Окремі питання, з яких складається один статус: чи визнано тримання, чи особа під вартою, чи вона жива і на якій правовій підставі її тримають.
clock-axes-value = визнання: { $acknowledgement }; свобода: { $liberty }; доля: { $fate }; правова категорія: { $category }; місце тримання розкрито: { $disclosed }; відвідувань: { $visits }
clock-ill-treatment = Повідомлено про жорстоке поводження
clock-ill-treatment-meaning = Види жорстокого поводження, про які повідомляють докази (катування, побиття, відмова в медичній допомозі тощо), за будь-якого тримання; кожне повідомлення — окрема позиція нижче з її джерелом.
clock-requests-for-news = Запити про відомості
clock-requests-for-news-meaning = Зафіксовані запити про відомості (від родини — до МКЧХ, поліції, омбудсмана): право знати про долю та місцеперебування затриманого родича (Міжнародна конвенція про захист усіх осіб від насильницьких зникнень, ст. 24).

## Позначки: назви і правове значення

flag-notification-overdue = Повідомлення прострочено (notification_overdue)
flag-notification-overdue-meaning = Понад 7 днів під вартою після полонення без повідомлення МКЧХ: держава, що тримає в полоні, має повідомити протягом тижня (III Женевська конвенція, ст. 70; ст. 122–123).
flag-incommunicado = Тримання без зв’язку із зовнішнім світом (incommunicado)
flag-incommunicado-meaning = Понад 30 днів під вартою без жодного зв’язку: військовополонені повинні мати змогу писати своїм родинам (III Женевська конвенція, ст. 71; IV Женевська конвенція, ст. 106–107).
flag-disputed = Оскаржується (disputed)
flag-disputed-meaning = Зафіксовану смерть спростовують пізніші докази того, що особа жива, або факт, на якому ґрунтується статус, оскаржено: долю не встановлено.
flag-enforced-disappearance = Насильницьке зникнення (enforced_disappearance)
flag-enforced-disappearance-meaning = Докази тримання під вартою, відсутність визнання і зафіксована відмова його визнати: елементи насильницького зникнення (Міжнародна конвенція про захист усіх осіб від насильницьких зникнень, ст. 2).
flag-whereabouts-undisclosed = Місце тримання не розкрито (whereabouts_undisclosed)
flag-whereabouts-undisclosed-meaning = Тримання визнано, але жодне повідомлення, відвідування чи офіційний акт не розкрили місця тримання (III Женевська конвенція, ст. 70, 122; Міжнародна конвенція про захист усіх осіб від насильницьких зникнень, ст. 2).

## Докази включення і що перевірено

proof-named-by-hash = названий своїм хешем в іншому перевіреному записі (наступному записі про особу, виправленні або печатці) у дереві з { $size ->
    [one] { $size } запису
   *[other] { $size } записів
}: перевірено
proof-inclusion = доказ включення з { $hashes ->
    [one] { $hashes } хеша
   *[other] { $hashes } хешів
} до кореня контрольної точки (дерево з { $size ->
    [one] { $size } запису
   *[other] { $size } записів
}): перевірено
verified-decoded = Кожен запис декодовано з його підписаних байтів, а його хеш запису (SHA-256 цих байтів) обчислено заново.
verified-signatures = Підпис Ed25519 кожного запису суворо перевірено відкритим ключем того, хто підписав.
verified-roles = Ролі ключів відтворено із записів управління за порядком: кожен запис підписано ключем, який мав потрібну роль (investigator — для доказів, authority — для управління, authority або registrar — для печаток і контрольних точок, а автор заяви — investigator) на момент запису і не був відкликаний.
verified-tree = Показано, що кожен запис є в дереві Меркла реєстру з { $size ->
    [one] { $size } запису
   *[other] { $size } записів
}, корінь якого вказано в контрольній точці, — доказом включення або хешем, який наводить інший перевірений запис.
verified-checkpoint = Підпис контрольної точки перевірено: її підписав { $signer } ({ $holder }) — ключ, що має роль { $role } від запису { $since }.
verified-complete = Печатка перед контрольною точкою фіксує записи кожної особи: цей пакет містить усі записи про цю особу і всі записи управління — жоден не пропущено.
verified-absent = Печатка перед контрольною точкою фіксує записи кожної особи: вона доводить, що в реєстрі немає жодного запису про цю особу.
verified-inclusion-only = Печатки немає: доведено, що записи є в реєстрі, але не те, що жоден не пропущено.

## Підсумок

summary-complete = Реєстр { $ledger } містить { $entries ->
    [one] { $entries } запис
    [few] { $entries } записи
    [many] { $entries } записів
   *[other] { $entries } запису
} про { $person }; це досьє показує { $shown } з них{ $cut ->
    [yes] {" "}(на зазначений вище зріз у часі)
   *[no] {""}
}. Їх перевірено математикою, а не довірою: кожен підписано ключем, який мав повноваження в момент підписання, жоден не змінено, і жоден запис про цю особу не пропущено станом на підписану контрольну точку реєстру з { $size ->
    [one] { $size } запису
   *[other] { $size } записів
}.
summary-absent = Реєстр { $ledger } не містить жодного запису про { $person } станом на свою підписану контрольну точку з { $size ->
    [one] { $size } запису
   *[other] { $size } записів
}; це доведено, а не припущено.
summary-status = За цими доказами статус особи: { $status }.
summary-corrections = Пізнішими виправленнями відкликано позицій: { $retracted }, замінено: { $replaced }; їх показано з позначкою, і вони не враховуються у статусі.
summary-disputed = { $count ->
    [one] Позицію { $items } оскаржено: див. оскарження, наведене при ній.
   *[other] Позиції { $items } оскаржено: див. оскарження, наведене при кожній.
}
summary-authority-pinned = Ключ уповноваженого органу реєстру { $key } збігся з ключем, наданим для перевірки.
summary-authority-store = Ключ уповноваженого органу реєстру — { $key } (зі сховища самого оператора): порівняйте його з ключем, який вам надав уповноважений орган.
summary-authority-not-pinned = Ключ уповноваженого органу реєстру { $key } НЕ звірено з ключем, якому ви довіряєте: перш ніж покладатися на це досьє, порівняйте його з ключем, який вам надав уповноважений орган реєстру.

## Хронологія

timeline-explained = Кожну точку пронумеровано за позицією доказів, на якій вона ґрунтується; червоні пунктирні лінії — правові строки, що відлічуються від полонення (або його межі).
timeline-aria-label = Хронологія епізоду
timeline-legal-mark = правовий строк
timeline-last-seen-free = востаннє бачили на волі
timeline-first-custody = перший доказ тримання: полонення сталося не пізніше
timeline-mark-notification = { $days ->
    [one] { $days } день
    [few] { $days } дні
   *[other] { $days } днів
} після полонення: МКЧХ мало бути повідомлено (III Женевська конвенція, ст. 70)
timeline-mark-incommunicado = { $days ->
    [one] { $days } день
    [few] { $days } дні
   *[other] { $days } днів
} після полонення: відтоді без зв’язку — це тримання без зв’язку із зовнішнім світом (III Женевська конвенція, ст. 71)

## Глосарій

term-seq = seq (порядковий номер)
term-seq-meaning = Позиція запису в реєстрі: 0 для першого запису, далі 1, 2, … Записи лише додаються в кінець.
term-entry-hash = хеш запису (entry hash)
term-entry-hash-meaning = Відбиток SHA-256 точних байтів запису. Зміна бодай одного байта запису повністю змінює його хеш.
term-signature = підпис (signature)
term-signature-meaning = Цифровий підпис Ed25519: доказ того, що власник приватного ключа підписав саме ці байти. Будь-хто може перевірити його відкритим ключем; ніхто не може підробити його без приватного ключа.
term-checkpoint = контрольна точка (checkpoint)
term-checkpoint-meaning = Підписане ключем уповноваженого органу або ключем реєстратора (сервера, що веде реєстр) твердження, що перші N записів реєстру мають певний корінь Меркла. Після підписання жоден попередній запис не можна змінити, вилучити чи переставити так, щоб контрольна точка цього не виявила.
term-merkle = дерево Меркла / доказ включення (Merkle tree / inclusion proof)
term-merkle-meaning = Спосіб поєднати хеші всіх записів в один кореневий хеш (RFC 9162). Доказ включення — кілька хешів, що ведуть від одного запису до кореня: він доводить, що запис є в реєстрі, який описує контрольна точка, без решти реєстру.
term-seal = доказ повноти / печатка (completeness proof / seal)
term-seal-meaning = Безпосередньо перед кожною контрольною точкою її підписант (уповноважений орган або реєстратор сервера) записує печатку: фіксацію останнього запису про кожну особу і записів управління. Завдяки їй пакет доводить, що містить УСІ записи про особу (ПОВНИЙ, COMPLETE) або що таких немає (ВІДСУТНІЙ, ABSENT), а не лише те, що показані записи справжні.
term-authority = уповноважений орган (authority)
term-authority-meaning = Ключ, що керує реєстром: його названо в першому записі реєстру (генезисі), він надає і відкликає інші ключі та підписує контрольні точки. Порівняйте його з ключем, який вам надав уповноважений орган реєстру.
term-governance = управління (governance)
term-governance-meaning = Записи, що визначають, хто може підписувати: генезис, надання ключів (з ім’ям власника і роллю) та їх відкликання.
term-investigator = investigator (слідчий, роль ключа)
term-investigator-meaning = Роль, яку має мати ключ, щоб записувати докази.
term-corrections = відкликано / замінено (retracted / replaced)
term-corrections-meaning = З реєстру ніколи нічого не видаляється. Запис-виправлення відкликає попередній запис (він більше не враховується) або замінює його виправленим змістом; обидва лишаються видимими, як показує це досьє.
term-icrc = Міжнародний комітет Червоного Хреста (МКЧХ; ICRC)
term-icrc-meaning = Його Центральне агентство з розшуку (Central Tracing Agency) отримує відомості про військовополонених та інтернованих цивільних осіб, які мають надавати сторони конфлікту (III Женевська конвенція, ст. 122–123; IV Женевська конвенція, ст. 136–140).
term-gc3 = III Женевська конвенція (GC III)
term-gc3-meaning = Женевська конвенція про поводження з військовополоненими (1949).
term-gc4 = IV Женевська конвенція (GC IV)
term-gc4-meaning = Женевська конвенція про захист цивільного населення під час війни (1949).
term-icped = Міжнародна конвенція про захист усіх осіб від насильницьких зникнень (ICPED)
term-icped-meaning = Конвенція ООН 2006 року; Україна приєдналася до неї у 2015 році.
term-enforced-disappearance = насильницьке зникнення (enforced disappearance)
term-enforced-disappearance-meaning = Позбавлення волі представниками держави, за яким слідує відмова це визнати або приховування долі чи місцеперебування особи, що ставить її поза захистом закону (Міжнародна конвенція про захист усіх осіб від насильницьких зникнень, ст. 2).
term-incommunicado = тримання без зв’язку із зовнішнім світом (incommunicado detention)
term-incommunicado-meaning = Тримання під вартою без жодного зв’язку із зовнішнім світом: з родиною, адвокатами чи спостерігачами. Це досьє відлічує його від 30 днів без зв’язку (III Женевська конвенція, ст. 71).

## Вебперегляд (сторінки custody serve)

web-skip = Перейти до змісту
web-nav-label = Головне меню
web-nav-people = Особи
web-nav-report = Звіт
web-lang-label = Мова
web-lang-name = Українська
web-signed-in-as = Ви увійшли як { $holder }.
web-signout = Вийти
web-error-title = Цю сторінку неможливо показати
web-back-to-people = Назад до списку осіб
web-signin-title = Вхід
web-signin-intro = Увійдіть за допомогою токена читача, виданого вам органом, що веде реєстр. Ваш браузер зберігає лише сесійний файл cookie, а не сам токен; сесія завершується, коли ви виходите, через 8 годин або коли токен відкликано. Кожну відкриту вами сторінку про особу записано до журналу доступу під вашим ім’ям.
web-signin-refused = Цей токен не прийнято: він невідомий, прострочений або відкликаний. Зверніться до органу, що веде реєстр, по чинний токен.
web-token-label = Токен читача
web-signin-button = Увійти
web-forbidden-csrf = Форма застаріла або надійшла з іншого сайту, тому її відхилено. Перезавантажте сторінку й спробуйте ще раз.
web-status-missing = зниклий безвісти
web-status-held-unacknowledged = утримується, не визнано
web-status-held-acknowledged = утримується, визнано
web-status-released = звільнений
web-status-deceased = помер
web-people-title = Особи
web-count-total = Осіб у реєстрі
web-count-matching = Відповідають пошуку
web-no-match = Жодна особа не відповідає цьому пошуку.
web-col-person = Особа
web-col-name = Ім’я
web-col-status = Статус
web-col-flags = Позначки
web-col-unacknowledged = Днів без визнання
web-col-without-contact = Днів без зв’язку
web-pages-label = Сторінки
web-prev = Попередня сторінка
web-next = Наступна сторінка
web-page-of = Сторінка { $page } з { $pages }
web-search-label = Пошук за ідентифікатором або ім’ям
web-search-id-label = Пошук за ідентифікатором
web-search-ids-only = Профіль цього токена читача ({ $profile }) не показує імен, тому пошук іде лише за ідентифікаторами: введене тут ім’я не шукається.
web-status-label = Статус
web-flag-label = Позначка
web-category-label = Категорія
web-sort-label = Сортувати за
web-any = Будь-який
web-sort-person = Ідентифікатор особи
web-sort-unacknowledged = Днів без визнання, спочатку найбільше
web-sort-without-contact = Днів без зв’язку, спочатку найбільше
web-apply = Застосувати
web-cut-legend = Часовий зріз
web-as-of-label = Станом на (що було правдою того дня)
web-known-at-label = Відомо на (що містив реєстр того дня)
web-show = Показати
web-download-bundle = Завантажити пакет (перевірте його командою custody verify --bundle)
web-download-dossier = Завантажити досьє (HTML)
web-report-title = Звіт
web-report-by-status = Особи за статусом
web-report-flags = Особи за позначками
web-nav-ledger = Реєстр
web-ledger-title = Реєстр
web-ledger-length = Довжина ланцюга
web-ledger-checkpoint = Остання контрольна точка
web-ledger-checkpoint-covers = Підписана органом, що веде реєстр; розмір дерева — { $count }; будь-хто може перевірити за нею пакет офлайн.
web-ledger-no-checkpoint = У реєстрі ще немає контрольної точки.
web-ledger-cosignatures = Співпідписи свідків
web-ledger-no-cosignatures = На цьому сервері не збережено жодного співпідпису свідка для цієї контрольної точки (їх зберігає `custody checkpoint --witness`).
web-ledger-witness = Свідок
web-ledger-key-id = Ідентифікатор ключа
web-ledger-cosignature = Співпідпис
web-ledger-cosignature-verified = перевірено за ключем свідка, наданим цьому серверу
web-ledger-cosignature-fails = НЕ перевіряється за ключем свідка, наданим цьому серверу
web-ledger-cosignature-not-checked = не перевірено: цьому серверу не надано ключа цього свідка (`custody serve --witness-key`)
web-ledger-log = Журнал
web-ledger-type = Тип
web-ledger-signer = Підписант
web-legal-label = Правова категорія
web-report-by-category = Особи за статусом: { $category }
web-report-delays = Від полонення до повідомлення МКЧХ
web-report-captured = Полонені (поточне або останнє тримання)
web-report-notified = Повідомлено
web-report-never-notified = Не повідомлено жодного разу
web-report-median = Медіанна затримка
web-report-p90 = 90-й процентиль
web-report-max = Найдовша затримка
web-report-delay-chart = Особи за днями від полонення до повідомлення МКЧХ (щонайменше)
web-report-delay-range = { $from }–{ $to } { $to ->
    [one] день
    [few] дні
    [many] днів
   *[other] дня
}
web-report-delay-over = понад { $days ->
    [one] { $days } день
    [few] { $days } дні
    [many] { $days } днів
   *[other] { $days } дня
}
web-report-trend = Утримувані без визнання та без зв’язку: зміна в часі
web-report-trend-desc = Точок: { $points }, від { $from } до { $to }. Останнього дня: утримуються без визнання — { $unacknowledged }, без зв’язку — { $incommunicado }.
web-report-trend-axis-persons = Особи
web-report-trend-step-week = Дата (кінець кожного тижня)
web-report-trend-step-month = Дата (кінець кожного місяця)
web-report-trend-step-year = Дата (кінець кожного року)
web-report-trend-unacknowledged = Утримуються, не визнано
web-report-trend-incommunicado = Без зв’язку (incommunicado)
web-report-trend-undetermined = Невизначено (без зв’язку чи ні)
web-report-trend-table = Ці дані таблицею
web-report-trend-date = Дата
web-report-trend-none = Жодного тримання не записано: графіку немає.
web-report-trend-note = Кожна точка показує, що реєстр каже зараз про той день, зокрема за доказами, записаними пізніше, а не те, що він казав того дня. Враховано поточне або останнє тримання кожної особи, як його записує її статус: попереднє тримання особи, яку звільнили й знову полонили, не враховано. Особа тримається без зв’язку в день, коли від останнього зв’язку минуло понад 30 днів; для днів до останнього зв’язку, який зберігає її статус, цього не можна визначити, і таблиця рахує такі дні як невизначені. Остання точка — кількість на сьогодні (або на дату зрізу), та сама, що й у цифрах вище.
