"""Word slots for the sentences that the added festival and espeak-ng voices speak (not English:
build_corpus.make_sentences writes those).

A sentence is one entry of each slot, in order, joined by spaces. Each entry is a whole phrase
(subject with its verb, object with its article), so that any combination is grammatical without
agreement rules; where the verb agrees with the object (Hindi, Marathi) object and verb are one entry.
"""

SLOTS = {
    'es': [
        ['María compró', 'Pedro encontró', 'Lucía vendió', 'Carlos pintó', 'Ana trajo', 'Jorge limpió',
         'Elena abrió', 'Pablo movió'],
        ['una lámpara amarilla', 'el libro viejo', 'dos sillas de madera', 'una carta larga', 'la bicicleta roja',
         'tres botellas vacías', 'un reloj pequeño', 'la maleta negra'],
        ['cerca de la estación', 'en el mercado', 'detrás del museo', 'junto al puerto', 'en la cocina',
         'delante de la escuela', 'en la biblioteca', 'al lado del puente'],
        ['esta mañana', 'ayer por la tarde', 'el lunes', 'antes de cenar', 'la semana pasada', 'a medianoche',
         'el viernes', 'en octubre'],
    ],
    'it': [
        ['Maria ha comprato', 'Paolo ha trovato', 'Giulia ha venduto', 'Marco ha pulito', 'Anna ha portato',
         'Luca ha aperto', 'Sara ha dipinto', 'Giorgio ha spostato'],
        ['una lampada gialla', 'il libro vecchio', 'due sedie di legno', 'una lettera lunga', 'la bicicletta rossa',
         'tre bottiglie vuote', 'un orologio piccolo', 'la valigia nera'],
        ['vicino alla stazione', 'al mercato', 'dietro al museo', 'accanto al porto', 'in cucina',
         'davanti alla scuola', 'in biblioteca', 'sotto il ponte'],
        ['stamattina', 'ieri sera', 'lunedì', 'prima di cena', 'la settimana scorsa', 'a mezzanotte', 'venerdì',
         'in ottobre'],
    ],
    'ca': [
        ['La Maria va comprar', 'En Pau va trobar', 'La Júlia va vendre', 'En Marc va netejar', "L'Anna va portar",
         'En Jordi va obrir', 'La Sara va pintar', 'En Pere va moure'],
        ['una làmpada groga', 'el llibre vell', 'dues cadires de fusta', 'una carta llarga', 'la bicicleta vermella',
         'tres ampolles buides', 'un rellotge petit', 'la maleta negra'],
        ["a prop de l'estació", 'al mercat', 'darrere del museu', 'al costat del port', 'a la cuina',
         "davant de l'escola", 'a la biblioteca', 'sota el pont'],
        ['aquest matí', 'ahir a la tarda', 'dilluns', 'abans de sopar', 'la setmana passada', 'a mitjanit',
         'divendres', "a l'octubre"],
    ],
    'fr': [
        ['Marie a acheté', 'Pierre a trouvé', 'Julie a vendu', 'Marc a nettoyé', 'Anne a apporté', 'Louis a ouvert',
         'Claire a peint', 'Paul a déplacé'],
        ['une lampe jaune', 'le vieux livre', 'deux chaises en bois', 'une longue lettre', 'le vélo rouge',
         'trois bouteilles vides', 'une petite horloge', 'la valise noire'],
        ['près de la gare', 'au marché', 'derrière le musée', 'à côté du port', 'dans la cuisine', "devant l'école",
         'à la bibliothèque', 'sous le pont'],
        ['ce matin', 'hier soir', 'lundi', 'avant le dîner', 'la semaine dernière', 'à minuit', 'vendredi',
         'en octobre'],
    ],
    'de': [  # time before place, as German orders them
        ['Maria kaufte', 'Peter fand', 'Julia verkaufte', 'Markus putzte', 'Anna brachte', 'Lukas öffnete',
         'Sarah malte', 'Paul verschob'],
        ['eine gelbe Lampe', 'das alte Buch', 'zwei Holzstühle', 'einen langen Brief', 'das rote Fahrrad',
         'drei leere Flaschen', 'eine kleine Uhr', 'den schwarzen Koffer'],
        ['heute Morgen', 'gestern Abend', 'am Montag', 'vor dem Essen', 'letzte Woche', 'um Mitternacht',
         'am Freitag', 'im Oktober'],
        ['am Bahnhof', 'auf dem Markt', 'hinter dem Museum', 'neben dem Hafen', 'in der Küche', 'vor der Schule',
         'in der Bibliothek', 'unter der Brücke'],
    ],
    'cs': [
        ['Petr koupil', 'Marie našla', 'Jana prodala', 'Tomáš uklidil', 'Eva přinesla', 'Pavel otevřel',
         'Lucie namalovala', 'Martin přesunul'],
        ['žlutou lampu', 'starou knihu', 'dvě dřevěné židle', 'dlouhý dopis', 'červené kolo', 'tři prázdné lahve',
         'malé hodiny', 'černý kufr'],
        ['u nádraží', 'na trhu', 'za muzeem', 'vedle přístavu', 'v kuchyni', 'před školou', 'v knihovně',
         'pod mostem'],
        ['dnes ráno', 'včera večer', 'v pondělí', 'před večeří', 'minulý týden', 'o půlnoci', 'v pátek', 'v říjnu'],
    ],
    'fi': [
        ['Pekka osti', 'Maria löysi', 'Liisa myi', 'Matti siivosi', 'Anna toi', 'Juha avasi', 'Sari maalasi',
         'Timo siirsi'],
        ['keltaisen lampun', 'vanhan kirjan', 'kaksi puutuolia', 'pitkän kirjeen', 'punaisen polkupyörän',
         'kolme tyhjää pulloa', 'pienen kellon', 'mustan matkalaukun'],
        ['aseman lähellä', 'torilla', 'museon takana', 'sataman vieressä', 'keittiössä', 'koulun edessä',
         'kirjastossa', 'sillan alla'],
        ['tänä aamuna', 'eilen illalla', 'maanantaina', 'ennen illallista', 'viime viikolla', 'keskiyöllä',
         'perjantaina', 'lokakuussa'],
    ],
    'ru': [  # е for ё, as most Russian text is written
        ['Петр купил', 'Мария нашла', 'Анна продала', 'Иван убрал', 'Ольга принесла', 'Павел открыл',
         'Елена нарисовала', 'Сергей передвинул'],
        ['желтую лампу', 'старую книгу', 'два деревянных стула', 'длинное письмо', 'красный велосипед',
         'три пустые бутылки', 'маленькие часы', 'черный чемодан'],
        ['возле вокзала', 'на рынке', 'за музеем', 'рядом с портом', 'на кухне', 'перед школой', 'в библиотеке',
         'под мостом'],
        ['сегодня утром', 'вчера вечером', 'в понедельник', 'перед ужином', 'на прошлой неделе', 'в полночь',
         'в пятницу', 'в октябре'],
    ],
    'hi': [  # time, subject (ergative), place, object + verb (agreeing with the object)
        ['कल सुबह', 'आज शाम', 'सोमवार को', 'खाने से पहले', 'पिछले हफ्ते', 'आधी रात को', 'शुक्रवार को', 'अक्टूबर में'],
        ['राम ने', 'सीता ने', 'मोहन ने', 'गीता ने', 'अमित ने', 'प्रिया ने', 'रवि ने', 'अनीता ने'],
        ['स्टेशन के पास', 'बाजार में', 'संग्रहालय के पीछे', 'बंदरगाह के पास', 'रसोई में', 'स्कूल के सामने', 'पुस्तकालय में',
         'पुल के नीचे'],
        ['एक पीली किताब खरीदी', 'एक पुराना पत्र पढ़ा', 'दो कुर्सियाँ बेचीं', 'एक छोटी घड़ी देखी', 'एक लाल साइकिल ठीक की',
         'तीन खाली बोतलें रखीं', 'एक काला बक्सा खोला', 'एक सुंदर चित्र बनाया'],
    ],
    'mr': [  # as Hindi
        ['काल सकाळी', 'आज संध्याकाळी', 'सोमवारी', 'जेवणापूर्वी', 'मागच्या आठवड्यात', 'मध्यरात्री', 'शुक्रवारी', 'दिवाळीत'],
        ['रामने', 'सीताने', 'मोहनने', 'गीताने', 'अमितने', 'प्रियाने', 'रवीने', 'अनिताने'],
        ['स्टेशनजवळ', 'बाजारात', 'संग्रहालयामागे', 'बंदराजवळ', 'स्वयंपाकघरात', 'शाळेसमोर', 'ग्रंथालयात', 'पुलाखाली'],
        ['एक पिवळे पुस्तक घेतले', 'एक जुने पत्र वाचले', 'दोन लाकडी खुर्च्या विकल्या', 'एक लहान घड्याळ पाहिले',
         'एक लाल सायकल दुरुस्त केली', 'तीन रिकाम्या बाटल्या ठेवल्या', 'एक काळी पेटी उघडली', 'एक सुंदर चित्र काढले'],
    ],
    'te': [  # time, subject, place, object, verb; male subjects, so every verb agrees
        ['నిన్న ఉదయం', 'ఈ రోజు సాయంత్రం', 'సోమవారం', 'భోజనానికి ముందు', 'పోయిన వారం', 'అర్ధరాత్రి', 'శుక్రవారం', 'పండుగ రోజు'],
        ['రాము', 'రవి', 'కృష్ణ', 'సురేష్', 'మోహన్', 'అర్జున్', 'శ్రీను', 'గోపాల్'],
        ['స్టేషన్ దగ్గర', 'బజారులో', 'మ్యూజియం వెనుక', 'ఓడరేవు దగ్గర', 'వంటగదిలో', 'బడి ముందు', 'గ్రంథాలయంలో', 'వంతెన కింద'],
        ['ఒక పుస్తకం', 'ఒక పాత ఉత్తరం', 'రెండు కుర్చీలు', 'ఒక చిన్న గడియారం', 'ఒక ఎర్ర సైకిలు', 'మూడు సీసాలు', 'ఒక నల్ల పెట్టె',
         'ఒక అందమైన బొమ్మ'],
        ['కొన్నాడు', 'చూశాడు', 'తెచ్చాడు', 'అమ్మాడు'],
    ],
}
END = {'hi': '।'}  # a full stop elsewhere


def sentence(lang, rng):
    s = ' '.join(rng.choice(slot) for slot in SLOTS[lang]) + END.get(lang, '.')
    return s[0].upper() + s[1:]
